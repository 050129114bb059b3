"""scim2-tester against /scim/v2: every check it has for Users; fails on ERROR or CRITICAL.
Usage: scim_check.py BASE_URL TOKEN"""
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

base, token = sys.argv[1], sys.argv[2]
client = SyncSCIMClient(httpx2.Client(base_url=base + "/scim/v2", headers={"Authorization": "Bearer " + token}))
results = check_server(client, resource_types=["User"])
bad = 0
for r in results:
    status = getattr(r.status, "name", str(r.status))
    summary = (r.description or "").strip().splitlines()[0] if r.description else ""
    line = f"{status:9} {r.title}: {summary}"
    if status in ("ERROR", "CRITICAL"):
        bad += 1
        print("FAIL", line, "|", getattr(r, "reason", ""))
    else:
        print("    ", line)
print(f"scim2-tester: {len(results)} checks, {bad} errors")
sys.exit(1 if bad else 0)
