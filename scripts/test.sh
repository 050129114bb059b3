#!/usr/bin/env bash
# The test command: sets up the real peers the tests use (an aiosmtpd SMTP server, from
# PyPI, in a venv under target/; a throwaway PostgreSQL cluster) and runs the whole
# workspace's tests on SQLite, then the store contract and the API suite again on
# PostgreSQL. Set LK_TEST_POSTGRES_URL to use a server of your own instead of the
# throwaway cluster; LK_REQUIRE_POSTGRES=1 (CI) turns "skipped" into a failure.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/test-venv
if ! "$venv/bin/python" -c "import aiosmtpd" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet aiosmtpd
fi
export LK_TEST_PYTHON="$PWD/$venv/bin/python"

source scripts/pg-cluster.sh
if [[ -z "${LK_TEST_POSTGRES_URL:-}" ]] && pg_bin >/dev/null; then
  pg_start
  trap pg_stop EXIT
  export LK_TEST_POSTGRES_URL="$PG_URL"
fi

cargo test --workspace "$@"

if [[ -n "${LK_TEST_POSTGRES_URL:-}" ]]; then
  echo "== the store contract, the API suite, the multi-node test and copy-store on PostgreSQL"
  export LK_TEST_STORE=postgres
  cargo test -p latchkey-store -p latchkey-server --test contract --test api --test nodes "$@"
  cargo test -p latchkey-server --test cli copy_store "$@"
else
  echo "!! SKIPPED the PostgreSQL suite: no PostgreSQL server binaries under" \
       "/usr/lib/postgresql and no LK_TEST_POSTGRES_URL" >&2
  [[ "${LK_REQUIRE_POSTGRES:-0}" == 1 ]] && exit 1
fi
