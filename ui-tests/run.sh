#!/usr/bin/env bash
# The web pages' browser suite: real Latchkey servers, a real SMTP sink (aiosmtpd), Debian's
# Chromium driven by playwright-core, axe-core. Run after a build:
#   bash ui-tests/run.sh            (screenshots land in target/ui-screenshots/)
# Installs what it needs: chromium (apt) and the npm packages of ui-tests/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export LK_LATCHKEY_BIN=${LK_LATCHKEY_BIN:-$PWD/target/debug/latchkey}
python=${LK_TEST_PYTHON:-$PWD/target/test-venv/bin/python}
if ! "$python" -c "import aiosmtpd" 2>/dev/null; then
  python3 -m venv target/test-venv && target/test-venv/bin/pip install --quiet aiosmtpd
  python=$PWD/target/test-venv/bin/python
fi
command -v chromium >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >/dev/null
[ -d ui-tests/node_modules/playwright-core ] && [ -d ui-tests/node_modules/axe-core ] \
  || (cd ui-tests && npm ci --no-audit --no-fund --silent)
[ -x "$LK_LATCHKEY_BIN" ] || cargo build -q -p latchkey-server
source scenarios/lib.sh
servers=()
work=$(mktemp -d)
trap 'kill "${servers[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

start_smtp_sink "$work"  # the e-mail steps

smtp=(LATCHKEY_SMTP__HOST=127.0.0.1 LATCHKEY_SMTP__PORT="$smtp_port" LATCHKEY_SMTP__TLS=none)
mkdir -p "$work/a" "$work/b"
# A: recovery by e-mailed code; a history rule, so that "checked when you submit" shows.
start_server "$work/a" "${smtp[@]}" LATCHKEY_POLICY__HISTORY_COUNT=3 LATCHKEY_UI__SITE_NAME="Example Corp Passwords"
export LK_BASE_A=$base LK_ADMIN_A; LK_ADMIN_A=$(admin_token "$work/a")
# B: the code, then security questions.
start_server "$work/b" "${smtp[@]}" \
  'LATCHKEY_RECOVERY__STAGES=["userQuery","emailValidation","kbaSecurityAnswerVerificationStage","resetStage"]'
export LK_BASE_B=$base LK_ADMIN_B; LK_ADMIN_B=$(admin_token "$work/b")
export LK_SCREENSHOTS=${LK_SCREENSHOTS:-$PWD/target/ui-screenshots}
mkdir -p "$LK_SCREENSHOTS"
node ui-tests/browser.mjs
for d in a b; do
  if grep -q '"level":"ERROR"' "$work/$d/out.log"; then
    echo "server $d logged errors:"; grep '"level":"ERROR"' "$work/$d/out.log"; exit 1
  fi
done
