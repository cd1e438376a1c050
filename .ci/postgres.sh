#!/usr/bin/env bash
# Start a private, throw-away PostgreSQL cluster for the mail registry tests and print its URL.
#
#   export XLREPORT_TEST_PG_URL="$(.ci/postgres.sh)"   # install if needed, start, print the URL
#   .ci/postgres.sh stop                               # stop it again (optional)
#
# Installs Debian's postgresql with apt-get when no server binaries are found. The cluster lives in
# ${XLREPORT_PG_DIR:-/tmp/xlreport-pg}, listens on 127.0.0.1 only (port ${XLREPORT_PG_PORT:-55432}),
# trusts local connections and has a database "xlreport". Only the URL goes to stdout.
set -euo pipefail

DIR="${XLREPORT_PG_DIR:-/tmp/xlreport-pg}"
PORT="${XLREPORT_PG_PORT:-55432}"
DB=xlreport
USER_NAME=postgres
URL="postgresql+psycopg://${USER_NAME}@127.0.0.1:${PORT}/${DB}"

log() { echo "postgres.sh: $*" >&2; }

find_bindir() {
    local d
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    fi
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ]; then echo "$d"; return 0; fi
    done
    return 1
}

BIN="$(find_bindir || true)"
if [ -z "$BIN" ]; then
    log "installing postgresql (apt-get)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO apt-get install -y -qq postgresql >&2
    BIN="$(find_bindir)"
fi

# PostgreSQL refuses to run as root: run it as the 'postgres' system user then.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ "${1:-}" = "stop" ]; then
    if [ -f "$DIR/PG_VERSION" ]; then as_owner "$BIN/pg_ctl" -D "$DIR" -m fast stop >&2 || true; fi
    exit 0
fi

if [ ! -f "$DIR/PG_VERSION" ]; then
    mkdir -p "$DIR"
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$DIR"; fi
    chmod 700 "$DIR"
    log "initdb in $DIR"
    as_owner "$BIN/initdb" -D "$DIR" -U "$USER_NAME" -A trust -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 \
        || as_owner "$BIN/initdb" -D "$DIR" -U "$USER_NAME" -A trust -E UTF8 --locale=C >&2
fi

if ! as_owner "$BIN/pg_ctl" -D "$DIR" status >/dev/null 2>&1; then
    log "starting on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DIR" -w -t 60 -l "$DIR/server.log" \
        -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50" start >&2
fi

for _ in $(seq 1 60); do
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then break; fi
    sleep 0.5
done
"$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"

if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$USER_NAME" "$DB"
fi

echo "$URL"
