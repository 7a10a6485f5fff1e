#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster on loopback as the unprivileged 'postgres' user and
# print its SQLAlchemy URL on the last line.  Used by .ci/run; a developer can run it too
# (as root or with sudo) and export LSQUARED_TEST_POSTGRES_URL=<that line>.
set -euo pipefail
PORT="${LSQUARED_PG_PORT:-54329}"
DIR="${LSQUARED_PG_DIR:-/tmp/lsquared-pg-$PORT}"
BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
[ -n "$BIN" ] || { echo "postgres.sh: PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
as_pg() {
  if [ "$(id -un)" = "postgres" ]; then "$@";
  elif [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@";
  else sudo -u postgres "$@"; fi
}
if ! as_pg "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
  rm -rf "$DIR"; mkdir -p "$DIR"; chown postgres: "$DIR" 2>/dev/null || sudo chown postgres: "$DIR"
  as_pg "$BIN/initdb" -D "$DIR" -A trust -U postgres --no-sync >/dev/null
  as_pg "$BIN/pg_ctl" -D "$DIR" -l "$DIR/server.log" -w \
    -o "-h 127.0.0.1 -p $PORT -k $DIR -c max_connections=300 -c fsync=off" start >/dev/null
  as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE ROLE lsquared LOGIN CREATEDB" >/dev/null
  as_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qc "CREATE DATABASE lsquared_test OWNER lsquared" >/dev/null
fi
echo "postgresql+psycopg://lsquared@127.0.0.1:$PORT/lsquared_test"
