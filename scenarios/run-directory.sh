#!/usr/bin/env bash
# The vendor scenarios again, against servers in front of a real OpenLDAP directory
# (slapd with ppolicy, one per server): jdoe and jsmith are directory entries
# (scenarios/directory.ldif), read, proved by bind and changed in the directory.
# Needs slapd and ldap-utils, and the example `cargo build -p latchkey-directory
# --example slapd --features testing` (.ci/run builds it).
set -euo pipefail
cd "$(dirname "$0")/.."
export LK_LATCHKEY_BIN=${LK_LATCHKEY_BIN:-$PWD/target/debug/latchkey}
slapd_bin=${LK_SLAPD_BIN:-$PWD/target/debug/examples/slapd}
python=${LK_TEST_PYTHON:-$PWD/target/test-venv/bin/python}
source scenarios/lib.sh
servers=()
work=$(mktemp -d)
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

# start_directory DIR: a fresh slapd with the scenario entries; sets $directory (the
# settings naming it). It runs until this script ends (its stdin is held open).
start_directory() {
  mkfifo "$1/slapd-stdin"
  "$slapd_bin" scenarios/directory.ldif <"$1/slapd-stdin" >"$1/slapd.out" 2>"$1/slapd.err" &
  servers+=($!)
  exec {hold}>"$1/slapd-stdin"
  local url=""
  for _ in $(seq 1 200); do
    url=$(head -n1 "$1/slapd.out" 2>/dev/null || true)
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || { echo "slapd did not start"; cat "$1/slapd.err"; exit 1; }
  directory=(LATCHKEY_DIRECTORY__URL="$url"
    LATCHKEY_DIRECTORY__BIND_DN="cn=latchkey,ou=services,dc=example,dc=com"
    LATCHKEY_DIRECTORY__BIND_PASSWORD="service-secret"
    LATCHKEY_DIRECTORY__USER_BASE="dc=example,dc=com"
    LATCHKEY_DIRECTORY__DECOY_DN="cn=latchkey-decoy,ou=services,dc=example,dc=com")
}

jdoe_id() { # the directory entry's id, as an admin reads it
  curl -sf "$base/api/v1/accounts?userName=jdoe" -H "Authorization: Bearer $(admin_token "$1")" | json items.0.id
}

start_smtp_sink "$work"

mkdir -p "$work/a" "$work/b" "$work/c" "$work/d"
start_directory "$work/a"
start_server "$work/a" "${directory[@]}" LATCHKEY_SMTP__HOST=127.0.0.1 LATCHKEY_SMTP__PORT="$smtp_port" LATCHKEY_SMTP__TLS=none
bash scenarios/idm.sh "$(jdoe_id "$work/a")"

start_directory "$work/b"
start_server "$work/b" "${directory[@]}" 'LATCHKEY_RECOVERY__STAGES=["userQuery","kbaSecurityAnswerVerificationStage","resetStage"]' LATCHKEY_RECOVERY__ALLOW_KBA_WITHOUT_EMAIL=true
bash scenarios/idm-kba.sh "$(jdoe_id "$work/b")"

start_directory "$work/c"
start_server "$work/c" "${directory[@]}" LATCHKEY_ADAXES__ALLOW_CHANGE_PASSWORD=true
bash scenarios/ping.sh
ADAXES_STORED_DN="cn=John Smith,cn=Users,dc=example,dc=com" bash scenarios/adaxes.sh

start_directory "$work/d"
start_server "$work/d" "${directory[@]}"
bash scenarios/ibm.sh
echo "scenarios in front of a directory: all passed"
