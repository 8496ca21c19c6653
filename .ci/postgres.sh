#!/usr/bin/env bash
# A throwaway PostgreSQL server for the test suite (CI and developers' machines).
#
#   postgres.sh install     install the Debian server package if the binaries are missing (root)
#   postgres.sh start DIR   create a cluster in DIR, start it, print its DSN (one line on stdout)
#   postgres.sh stop DIR    stop the server and remove DIR (safe to call twice)
#
# The server listens on 127.0.0.1 only, on a free port, with `trust` auth and no Unix socket:
# it holds nothing but test data and dies with the run. The postgres server refuses to run as
# root, so as root the cluster belongs to the `postgres` system user; otherwise to the caller.
set -euo pipefail

die() {
    echo "postgres.sh: $*" >&2
    exit 1
}

# The directory holding initdb, pg_ctl and pg_isready, or nothing. tests/conftest.py searches
# the same places, in the same order: keep the two in step.
find_bindir() {
    local dir
    # pg_config may come from libpq-dev alone, naming a bindir without a server in it.
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir 2>/dev/null || true)
        if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
            echo "$dir"
            return
        fi
    fi
    dir=$(compgen -G '/usr/lib/postgresql/*/bin' | sort -V | tail -n 1 || true)
    if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
        echo "$dir"
    fi
}

# Runs a command as the cluster's owner, from / (postgres may not enter the caller's cwd).
as_owner() {
    if [[ $EUID -ne 0 ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        (cd / && runuser -u postgres -- "$@")
    else
        # shellcheck disable=SC2016 # the inner shell expands them: arguments pass through intact
        (cd / && su postgres -s /bin/sh -c '"$0" "$@"' -- "$@")
    fi
}

install_server() {
    if [[ -n $(find_bindir) ]]; then
        return
    fi
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "PostgreSQL server binaries not found (no initdb via pg_config or in" \
            "/usr/lib/postgresql/*/bin). Install them (Debian/Ubuntu: apt-get install" \
            "postgresql, as root) or set ICBC_WALLET_PG_DSN to a server of your own."
    fi
    # Only throwaway clusters are wanted: stop the package from creating and starting its own
    # "main" cluster on port 5432 (postgresql-common reads this directory).
    mkdir -p /etc/postgresql-common/createcluster.d
    echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.d/50-icbc-wallet-ci.conf
    export DEBIAN_FRONTEND=noninteractive
    # A stale package index is the usual reason an install fails: refresh it only then.
    apt-get install -y -qq postgresql >/dev/null ||
        { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
    [[ -n $(find_bindir) ]] || die "installed the postgresql package but found no initdb"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_server() {
    local dir=$1 bindir port attempt out
    bindir=$(find_bindir)
    [[ -n $bindir ]] || die "PostgreSQL server binaries not found: run '$0 install' (as root)"
    mkdir -p "$dir"
    [[ -z $(ls -A "$dir") ]] || die "$dir is not empty"
    chmod 700 "$dir"
    if [[ $EUID -eq 0 ]]; then
        id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' system user"
        chown postgres: "$dir"
        as_owner test -w "$dir" ||
            die "the postgres user cannot reach $dir (is a parent directory private?)"
    fi
    # -U postgres: the same superuser name whoever runs this; -N: no fsync of the new files.
    out=$(as_owner "$bindir/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 \
        --no-locale -N 2>&1) || { echo "$out" >&2; die "initdb failed"; }
    # Durability is pointless for a server that holds only test data and is deleted afterwards:
    # fsync off (and its companions) makes commits cheap. Never copy these to a real server.
    cat >>"$dir/postgresql.conf" <<'EOF'

# --- throwaway test server (.ci/postgres.sh) ---
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
EOF
    # The port is free when picked but could be taken before the server binds it: retry.
    for attempt in 1 2 3; do
        port=$(free_port)
        if as_owner "$bindir/pg_ctl" -D "$dir" -l "$dir/server.log" -o "-p $port" -w -t 60 \
            start >/dev/null; then
            break
        fi
        [[ $attempt -lt 3 ]] || { tail -n 20 "$dir/server.log" >&2; die "the server did not start"; }
    done
    # pg_ctl -w waits for the server to say it is ready; make sure TCP connections get in too.
    for attempt in $(seq 1 50); do
        if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
            echo "postgresql://postgres@127.0.0.1:$port/postgres"
            return
        fi
        sleep 0.1
    done
    tail -n 20 "$dir/server.log" >&2
    die "the server started but refuses connections on 127.0.0.1:$port"
}

stop_server() {
    local dir=$1 bindir
    [[ -d $dir ]] || return 0
    # Remove only what looks like one of our clusters (an empty DIR is a failed start).
    [[ -f $dir/PG_VERSION || -z $(ls -A "$dir") ]] || die "$dir is not a PostgreSQL cluster"
    if [[ -f $dir/postmaster.pid ]]; then
        bindir=$(find_bindir)
        [[ -n $bindir ]] || die "PostgreSQL binaries not found: cannot stop the server in $dir"
        as_owner "$bindir/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null ||
            as_owner "$bindir/pg_ctl" -D "$dir" -m immediate -w stop >/dev/null ||
            true # already gone (a stale postmaster.pid)
    fi
    rm -rf "$dir"
}

case "${1:-}" in
install) install_server ;;
start | stop)
    [[ $# -eq 2 && -n $2 ]] || die "usage: $0 $1 DIR"
    dir=$(realpath -m "$2") # absolute: as_owner runs from /
    "${1}_server" "$dir"
    ;;
*) die "usage: $0 install | start DIR | stop DIR" ;;
esac
