#!/usr/bin/env bash
# Bulk import benchmark: N (default 100,000) accounts with {SSHA} hashes from one CSV file
# into a fresh SQLite store, with the release binary, under --on-existing MODE (default
# fail: every line checked first, then written; skip: one pass). Prints the wall time.
#   scripts/bench-import.sh [N] [MODE]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
mode=${2:-fail}
cargo build --release -q -p latchkey-server
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$n" >"$work/people.csv" <<'PY'
import sys
print("userName,email,givenName,sn,passwordHash")
for i in range(int(sys.argv[1])):
    print(f"user{i:06d},user{i:06d}@example.com,Given{i},Sn{i},{{SSHA}}SFSLGUTKw3AZyztPiSlUf1CXWiBxwc4a")
PY
export LATCHKEY_DATABASE__URL="sqlite://$work/latchkey.db"
start=$(date +%s.%N)
target/release/latchkey import "$work/people.csv" --on-existing "$mode"
end=$(date +%s.%N)
python3 -c "import sys; n=int(sys.argv[1]); s=float(sys.argv[3])-float(sys.argv[2]); print(f'{n} accounts in {s:.1f} s ({n/s:.0f} accounts/s), --on-existing {sys.argv[4]}')" "$n" "$start" "$end" "$mode"
