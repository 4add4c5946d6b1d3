#!/usr/bin/env bash
# A throwaway PostgreSQL server on loopback for the monitoring tests.
#   scripts/postgres.sh up [DIR]    make a cluster in DIR (default /tmp/parsl-ts-postgres),
#                                   start it on a free port, print its URL (also in DIR/url)
#   scripts/postgres.sh down [DIR]  stop it and remove DIR
# Exits 3 when no PostgreSQL server is installed (as root: apt-get install postgresql).
set -euo pipefail
action=${1:-}
dir=${2:-/tmp/parsl-ts-postgres}

bindir=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/pg_ctl" ] && bindir=$candidate
done
if [ -z "$bindir" ]; then
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then bindir=$(dirname "$(command -v pg_ctl)")
  else echo "postgres.sh: no PostgreSQL server installed (apt-get install postgresql)" >&2; exit 3; fi
fi

# The server refuses to run as root: run it as the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  up)
    if [ -f "$dir/url" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then cat "$dir/url"; exit 0; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
    as_owner "$bindir/initdb" -D "$dir/data" -U parsl --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    url="postgresql://parsl@127.0.0.1:$port/postgres"
    echo "$url" | as_owner tee "$dir/url" >/dev/null
    echo "$url"
    ;;
  down)
    if [ -d "$dir/data" ]; then as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh up|down [DIR]" >&2; exit 2 ;;
esac
