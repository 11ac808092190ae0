#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster on 127.0.0.1, exporting GAPWATCH_TEST_POSTGRES_URL.
# The server refuses to run as root, so the cluster belongs to the 'postgres' user. Without a server binary
# (outside CI) the command still runs, and the PostgreSQL tests say why they are skipped; in CI that is an error.
set -euo pipefail
PORT=${GAPWATCH_PG_PORT:-54329}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  if [ "${CI:-}" = "true" ]; then echo "PostgreSQL is not installed; CI must test against it" >&2; exit 1; fi
  echo "with-postgres: no PostgreSQL server installed; PostgreSQL tests will be skipped" >&2
  exec "$@"
fi
dir=$(mktemp -d /tmp/gapwatch-pg.XXXXXX)
chown postgres "$dir" 2>/dev/null || true
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() { as_pg "$pg_bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$dir"; }
trap cleanup EXIT
as_pg "$pg_bin/initdb" -D "$dir/data" -A trust -U postgres >/dev/null
as_pg "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $dir -c fsync=off -c full_page_writes=off" start >/dev/null
for _ in $(seq 50); do "$pg_bin/pg_isready" -h 127.0.0.1 -p "$PORT" -q && break; sleep 0.2; done
export GAPWATCH_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
set +e
"$@"
status=$?
exit $status
