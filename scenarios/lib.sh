# Helpers for the scenario scripts: start a real server, read JSON, check answers.
set -euo pipefail

json() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if k.isdigit() else v[k]
print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1"; }

expect() { # expect LABEL ACTUAL WANTED
  if [ "$2" != "$3" ]; then echo "FAIL $1: got [$2], wanted [$3]"; exit 1; fi
  echo "ok   $1"
}

# start_server DIR [ENV=VALUE...]: runs `latchkey serve` in DIR on a free port; sets $base.
start_server() {
  local dir=$1; shift
  (cd "$dir" && exec env LATCHKEY_LISTEN=127.0.0.1:0 LATCHKEY_LOG__FORMAT=json LATCHKEY_THROTTLE__PER_IP_PER_MINUTE=0 \
     LATCHKEY_HASHING__MEMORY_KIB=64 LATCHKEY_HASHING__ITERATIONS=1 "$@" "$LK_LATCHKEY_BIN" serve >out.log 2>err.log) &
  servers+=($!)
  base=""
  for _ in $(seq 1 200); do
    base=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    try: e = json.loads(l)
    except ValueError: continue
    if e.get("message") == "listening": print("http://" + e["address"])' "$dir/out.log" 2>/dev/null || true)
    [ -n "$base" ] && export base && return 0
    sleep 0.1
  done
  echo "server did not start"; cat "$dir/err.log"; exit 1
}

# admin_token DIR: signs the first admin in.
admin_token() {
  curl -sf "$base/api/v1/sessions" -H 'Content-Type: application/json' \
    -d "{\"userName\":\"admin\",\"password\":\"$(cat "$1/initial-admin-password")\"}" | json token
}

# start_smtp_sink DIR: a real SMTP server (aiosmtpd, $python) writing each message as JSON
# into DIR/mail; exports MAILDIR, sets $smtp_port. It runs until this script's fd 9 closes.
start_smtp_sink() {
  export MAILDIR=$1/mail; mkdir -p "$MAILDIR"
  smtp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkfifo "$1/sink-stdin"
  "$python" crates/latchkey-server/tests/support/smtp_sink.py "$smtp_port" "$MAILDIR" <"$1/sink-stdin" >"$1/sink.out" 2>&1 &
  servers+=($!)
  exec 9>"$1/sink-stdin"
  for _ in $(seq 1 100); do grep -q ready "$1/sink.out" 2>/dev/null && break; sleep 0.1; done
}
