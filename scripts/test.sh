#!/usr/bin/env bash
# The test command: sets up the real peers the tests use (an aiosmtpd SMTP server, from
# PyPI, in a venv under target/) and runs the whole workspace's tests.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/test-venv
if ! "$venv/bin/python" -c "import aiosmtpd" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet aiosmtpd
fi
export LK_TEST_PYTHON="$PWD/$venv/bin/python"
cargo test --workspace "$@"
