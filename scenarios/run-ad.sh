#!/usr/bin/env bash
# The Adaxes scenario against a server in front of a real Active Directory (Samba 4 as a
# domain controller, over LDAPS with its CA checked): John Smith is an AD user
# (CN=John Smith,CN=Users,…, sAMAccountName jsmith), changed by the reference's own
# request, then reset by a helpdesk user (a member through a nested group) addressing him
# by DN, by objectGUID and by objectSid. Needs samba and ldap-utils, and the example
# `cargo build -p latchkey-directory --example samba_dc --features testing` (.ci/run builds
# it). AD's ports are fixed: one run per machine at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
export LK_LATCHKEY_BIN=${LK_LATCHKEY_BIN:-$PWD/target/debug/latchkey}
dc_bin=${LK_SAMBA_DC_BIN:-$PWD/target/debug/examples/samba_dc}
source scenarios/lib.sh
servers=()
work=$(mktemp -d)
trap 'exec {hold}>&- 2>/dev/null || true; kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

mkfifo "$work/dc-stdin"
"$dc_bin" <"$work/dc-stdin" >"$work/dc.out" 2>"$work/dc.err" &
servers+=($!)
exec {hold}>"$work/dc-stdin"
for _ in $(seq 1 900); do
  [ "$(wc -l <"$work/dc.out")" -ge 2 ] && break
  kill -0 "${servers[0]}" 2>/dev/null || { echo "the DC did not start"; cat "$work/dc.err"; exit 1; }
  sleep 0.1
done
url=$(sed -n 1p "$work/dc.out")
ca=$(sed -n 2p "$work/dc.out")
[ -n "$ca" ] || { echo "the DC did not start in 90 s"; cat "$work/dc.err"; exit 1; }

start_server "$work" LATCHKEY_DIRECTORY__URL="$url" LATCHKEY_DIRECTORY__CA_FILE="$ca" \
  LATCHKEY_DIRECTORY__BIND_DN="CN=latchkey-svc,OU=Services,DC=example,DC=com" \
  LATCHKEY_DIRECTORY__BIND_PASSWORD='Svc-Secret-2026!' \
  LATCHKEY_DIRECTORY__USER_BASE="DC=example,DC=com" \
  LATCHKEY_DIRECTORY__DECOY_DN="CN=latchkey-decoy,OU=People,DC=example,DC=com" \
  LATCHKEY_DIRECTORY__ROLES__HELPDESK="CN=helpdesk,OU=Groups,DC=example,DC=com" \
  LATCHKEY_ADAXES__ALLOW_CHANGE_PASSWORD=true
grep -q '"kind":"active_directory"' "$work/out.log" || { echo "FAIL the directory's kind was not read as active_directory"; exit 1; }
account=$(curl -sf "$base/api/v1/accounts?userName=jsmith" -H "Authorization: Bearer $(admin_token "$work")")
ADAXES_HELPDESK='helpdesk1:Helpdesk-Secret-1' \
ADAXES_OBJECT_GUID=$(echo "$account" | json items.0.id) \
ADAXES_OBJECT_SID=$(echo "$account" | json items.0.sid) \
  bash scenarios/adaxes.sh
echo "Adaxes scenario in front of Active Directory: all passed"
