# Sourced: a throwaway PostgreSQL cluster (temp dir, free port, trust auth) for tests
# and benchmarks. `pg_start` sets PG_URL; `pg_stop` stops it and removes its files.
# As root, the server runs as the `postgres` user (initdb and pg_ctl refuse root).

pg_bin() {
  local b
  b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n "$b" && -x "$b/initdb" ]] && echo "$b"
}

pg_as() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_start() {
  local bin
  bin=$(pg_bin)
  PG_DIR=$(mktemp -d)
  [[ $(id -u) == 0 ]] && chown postgres "$PG_DIR"
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  pg_as "$bin/initdb" -A trust -U postgres --no-sync -D "$PG_DIR/data" >/dev/null
  pg_as "$bin/pg_ctl" -w -l "$PG_DIR/log" -D "$PG_DIR/data" \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" start >/dev/null
  PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
  PG_CTL="$bin/pg_ctl"
}

pg_stop() {
  if [[ -n "${PG_DIR:-}" ]]; then
    pg_as "$PG_CTL" -w -m fast -D "$PG_DIR/data" stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
    PG_DIR=
  fi
}
