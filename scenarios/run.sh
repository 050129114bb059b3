#!/usr/bin/env bash
# Runs every scenario against real servers: `scenarios/run.sh` (after a build).
# Needs python3 with aiosmtpd (scripts/test.sh's venv) for the e-mail steps.
set -euo pipefail
cd "$(dirname "$0")/.."
export LK_LATCHKEY_BIN=${LK_LATCHKEY_BIN:-$PWD/target/debug/latchkey}
python=${LK_TEST_PYTHON:-$PWD/target/test-venv/bin/python}
source scenarios/lib.sh
servers=()
work=$(mktemp -d)
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

new_jdoe() { # creates jdoe on the server at $base; prints the id
  local t; t=$(admin_token "$1")
  curl -sf "$base/api/v1/accounts" -H "Authorization: Bearer $t" -H 'Content-Type: application/json' \
    -d '{"userName":"jdoe","password":"Passw0rd-Old!","email":"jdoe@example.com"}' | json id
}

start_smtp_sink "$work"  # the e-mail steps

mkdir -p "$work/a" "$work/b" "$work/c"
start_server "$work/a" LATCHKEY_SMTP__HOST=127.0.0.1 LATCHKEY_SMTP__PORT="$smtp_port" LATCHKEY_SMTP__TLS=none
bash scenarios/idm.sh "$(new_jdoe "$work/a")"

start_server "$work/b" 'LATCHKEY_RECOVERY__STAGES=["userQuery","kbaSecurityAnswerVerificationStage","resetStage"]' LATCHKEY_RECOVERY__ALLOW_KBA_WITHOUT_EMAIL=true
bash scenarios/idm-kba.sh "$(new_jdoe "$work/b")"

start_server "$work/c" LATCHKEY_ADAXES__ALLOW_CHANGE_PASSWORD=true
new_jdoe "$work/c" >/dev/null
bash scenarios/ping.sh
curl -sf -o /dev/null "$base/api/v1/accounts" -H "Authorization: Bearer $(admin_token "$work/c")" -H 'Content-Type: application/json' \
  -d '{"userName":"jsmith","password":"MyCurrentPassword-1","dn":"CN=John Smith,CN=Users,DC=example,DC=com"}'
bash scenarios/adaxes.sh
mkdir -p "$work/d"
start_server "$work/d"
new_jdoe "$work/d" >/dev/null
bash scenarios/ibm.sh
echo "scenarios: all passed"
