#!/usr/bin/env bash
# A real one-host Grid Engine 8.1.9 (Debian's gridengine-master/-exec/-client) for parsl-ts's
# GridEngineProvider test (root only):
#   scripts/gridengine.sh up      install the packages if missing (debconf answers preseeded),
#                                 configure the cell, start sge_qmaster and sge_execd, wait until
#                                 a `qsub -sync y` job has run on queue all.q
#   scripts/gridengine.sh down    stop the daemons (and jobs) `up` started and put the cell's
#                                 configuration and spool back as `up` found them
#   scripts/gridengine.sh status  qstat -f, and the pids of the daemons `up` started
# The host's own name must resolve to a loopback address: only loopback is used. Idempotent.
set -euo pipefail

export SGE_ROOT=/var/lib/gridengine
export SGE_CELL=${SGE_CELL:-default}
COMMON=$SGE_ROOT/$SGE_CELL/common
SPOOL=/var/spool/gridengine
STATE=/var/lib/parsl-ts-gridengine   # the daemons' pids, and the snapshot `down` restores
PIDS=$STATE/pids                     # written by the daemons, as the admin user sgeadmin
QUEUE=all.q
READY_SECONDS=120                    # bound on waiting for the queue and the first job

log() { echo "gridengine: $*" >&2; }
die() { log "$*"; exit 1; }

# Runs a command quietly (qconf reports success on stderr); its output only if it fails.
quiet() {
  local out
  out=$("$@" 2>&1) || die "$* failed: $out"
}

need_root() { [ "$(id -u)" = 0 ] || die "must run as root"; }

# A pid file's process, if it is still the daemon named (pids get reused).
running() {
  local file=$1 name=$2 pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$name" ]
}

install_packages() {
  if command -v qstat >/dev/null && [ -x /usr/lib/gridengine/sge_qmaster ] && [ -x /usr/lib/gridengine/sge_execd ]; then
    return
  fi
  local host
  host=$(hostname)
  log "installing gridengine-master, gridengine-exec, gridengine-client (master: $host)"
  # The packages' only questions (shared by all four): configure a cell, its name, the master host.
  debconf-set-selections <<EOF
gridengine-common shared/gridengineconfig boolean true
gridengine-common shared/gridenginecell string $SGE_CELL
gridengine-common shared/gridenginemaster string $host
EOF
  # The packages' postinst would start the daemons through invoke-rc.d: this script starts its own.
  local policy_made=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy_made=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gridengine-master gridengine-exec gridengine-client >/dev/null \
    || { [ -z "$policy_made" ] || rm -f /usr/sbin/policy-rc.d; die "apt-get install failed"; }
  [ -z "$policy_made" ] || rm -f /usr/sbin/policy-rc.d
}

# The host's name as Grid Engine resolves it, and the name its loopback address reverses to.
# They differ when /etc/hosts lists another name first for 127.0.0.1 (e.g. `localhost`):
# qmaster then sees connections from a host it does not know unless host_aliases joins them.
HOST="" REVERSE=""
resolve_names() {
  local utilbin=$SGE_ROOT/utilbin/$(/usr/share/gridengine/util/arch)
  HOST=$("$utilbin/gethostname" -name) || die "gethostname failed"
  local address
  address=$("$utilbin/gethostbyname" "$HOST" | sed -n 's/^Host Address(es): *//p' | awk '{print $1}')
  case "$address" in
    127.*) ;;
    *) die "$HOST resolves to '$address', not a loopback address: this script uses loopback only" ;;
  esac
  REVERSE=$("$utilbin/gethostbyaddr" "$address" | sed -n 's/^Hostname: *//p')
}

# Everything `up` changes lives in these two trees: keep them as found, for `down`.
snapshot() {
  [ -d "$STATE/snapshot" ] && return
  mkdir -p "$STATE/snapshot.tmp"
  cp -a "$COMMON" "$STATE/snapshot.tmp/common"
  cp -a "$SPOOL" "$STATE/snapshot.tmp/spool"
  mv "$STATE/snapshot.tmp" "$STATE/snapshot"
}

configure_cell() {
  # A cell the packages left unconfigured (installed with gridengineconfig=false, say).
  mkdir -p "$COMMON"
  [ -f "$COMMON/bootstrap" ] || install -m0644 -o sgeadmin -g sgeadmin /usr/share/gridengine/default-bootstrap "$COMMON/bootstrap"
  [ -e "$SPOOL/spooldb/sge" ] || runuser -u sgeadmin -- /usr/share/gridengine/scripts/init_cluster "$SGE_ROOT" "$SGE_CELL" "$SPOOL/spooldb" sgeadmin >/dev/null
  echo "$HOST" > "$COMMON/act_qmaster"
  chown sgeadmin:sgeadmin "$COMMON/act_qmaster"
  if [ "$REVERSE" != "$HOST" ]; then
    { echo "# parsl-ts scripts/gridengine.sh: $HOST's address reverses to $REVERSE"; echo "$HOST $REVERSE"; } > "$COMMON/host_aliases"
  fi
}

start_qmaster() {
  running "$PIDS/qmaster.pid" sge_qmaster && return
  mkdir -p "$PIDS" && chown sgeadmin: "$PIDS"
  SGE_QMASTER_PIDFILE=$PIDS/qmaster.pid /usr/sbin/sge_qmaster
  for _ in $(seq 100); do
    running "$PIDS/qmaster.pid" sge_qmaster && qconf -sh >/dev/null 2>&1 && return
    sleep 0.2
  done
  die "sge_qmaster does not answer; see $SPOOL/qmaster/messages"
}

# qconf -M*/-A* read a file; for -Mconf its name is the configuration's name (global).
configure_qmaster() {
  local dir=$STATE/conf
  mkdir -p "$dir"
  # Jobs run as root here; Grid Engine refuses uids/gids below 1000 by default.
  qconf -sconf global | sed -e 's/^min_uid .*/min_uid 0/' -e 's/^min_gid .*/min_gid 0/' \
    -e 's/^load_report_time .*/load_report_time 00:00:05/' > "$dir/global"
  quiet qconf -Mconf "$dir/global"
  # Schedule every second, and at once on submit and finish (the default waits 15 s).
  qconf -ssconf | sed -e 's/^schedule_interval .*/schedule_interval 0:0:1/' \
    -e 's/^flush_submit_sec .*/flush_submit_sec 1/' -e 's/^flush_finish_sec .*/flush_finish_sec 1/' > "$dir/sched"
  quiet qconf -Msconf "$dir/sched"
  qconf -sh | grep -qx "$HOST" || quiet qconf -ah "$HOST"
  qconf -ss 2>/dev/null | grep -qx "$HOST" || quiet qconf -as "$HOST"
  if ! qconf -sel 2>/dev/null | grep -qx "$HOST"; then
    printf '%s\n' "hostname $HOST" 'load_scaling NONE' 'complex_values NONE' 'user_lists NONE' 'xuser_lists NONE' \
      'projects NONE' 'xprojects NONE' 'usage_scaling NONE' 'report_variables NONE' > "$dir/exechost"
    quiet qconf -Ae "$dir/exechost"
  fi
  if ! qconf -sql 2>/dev/null | grep -qx "$QUEUE"; then
    # qconf -aq fills in every default and opens $EDITOR on it: the "editor" sets our fields.
    # No load threshold: on a busy 2-core machine the default (np_load_avg=1.75) closes the queue;
    # no parallel environments (the default lists make, smp, mpi, which this cell does not have).
    cat > "$dir/edit-queue" <<EOF
#!/bin/sh
sed -i -e 's/^hostlist .*/hostlist $HOST/' -e 's/^slots .*/slots $(nproc)/' -e 's/^load_thresholds .*/load_thresholds NONE/' -e 's/^pe_list .*/pe_list NONE/' "\$1"
EOF
    chmod +x "$dir/edit-queue"
    EDITOR=$dir/edit-queue quiet qconf -aq "$QUEUE"
  fi
}

start_execd() {
  running "$PIDS/execd.pid" sge_execd && return
  SGE_EXECD_PIDFILE=$PIDS/execd.pid /usr/sbin/sge_execd
  for _ in $(seq 50); do running "$PIDS/execd.pid" sge_execd && return; sleep 0.2; done
  die "sge_execd did not start; see $SPOOL/execd/*/messages"
}

# The queue instance is up when qstat -f lists it without a state (u: unknown, a: alarm, d, E...).
queue_ready() {
  qstat -f -q "$QUEUE" 2>/dev/null | awk -v q="$QUEUE@" 'index($1, q) == 1 && NF == 5 { ok = 1 } END { exit !ok }'
}

wait_ready() {
  local deadline=$((SECONDS + READY_SECONDS))
  until queue_ready; do
    [ $SECONDS -lt $deadline ] || die "queue $QUEUE not ready after ${READY_SECONDS} s: $(qstat -f 2>&1 | tr '\n' ' ')"
    sleep 0.5
  done
  local left=$((deadline - SECONDS)); [ $left -gt 10 ] || left=10
  timeout "$left" qsub -b y -sync y -o /dev/null -e /dev/null -q "$QUEUE" -N parsl-ts-ready true >/dev/null \
    || die "a trivial job did not run within ${left} s: $(qstat -f 2>&1 | tr '\n' ' ')"
  log "up: $(qstat -f -q "$QUEUE" | awk -v q="$QUEUE@" 'index($1, q) == 1 {print $1, $3 " slots (resv/used/total)"}')"
}

up() {
  need_root
  install_packages
  mkdir -p "$STATE"
  if ! running "$PIDS/qmaster.pid" sge_qmaster && [ -n "$(ps -C sge_qmaster -o pid= 2>/dev/null)" ]; then
    # Someone else's qmaster: use it if it already serves the queue, never touch it.
    queue_ready && { log "a Grid Engine not started by this script serves $QUEUE; using it"; exit 0; }
    die "an sge_qmaster not started by this script is running (pid $(ps -C sge_qmaster -o pid= | xargs)); stop it first"
  fi
  resolve_names
  if ! running "$PIDS/qmaster.pid" sge_qmaster; then
    snapshot
    configure_cell
  fi
  start_qmaster
  configure_qmaster
  start_execd
  wait_ready
}

# Pids of a process's descendants (execd's shepherds and their jobs), deepest last.
descendants() {
  local children child
  children=$(ps -o pid= --ppid "$1" 2>/dev/null || true)
  for child in $children; do echo "$child"; descendants "$child"; done
}

stop() {
  local file=$1 name=$2 pid
  running "$file" "$name" || { rm -f "$file"; return 0; }
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

down() {
  need_root
  [ -d "$STATE" ] || { log "down: nothing was started"; return; }
  if running "$PIDS/qmaster.pid" sge_qmaster; then
    timeout 10 qdel -f -u '*' >/dev/null 2>&1 || true
    for _ in $(seq 30); do [ -z "$(qstat -u '*' 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  local jobs=""
  running "$PIDS/execd.pid" sge_execd && jobs=$(descendants "$(cat "$PIDS/execd.pid")")
  stop "$PIDS/execd.pid" sge_execd
  for pid in $jobs; do kill -9 "$pid" 2>/dev/null || true; done
  stop "$PIDS/qmaster.pid" sge_qmaster
  if [ -d "$STATE/snapshot" ]; then
    rm -rf "$COMMON" "$SPOOL"
    cp -a "$STATE/snapshot/common" "$COMMON"
    cp -a "$STATE/snapshot/spool" "$SPOOL"
  fi
  rm -rf "$STATE"
  log "down"
}

status() {
  for daemon in qmaster execd; do
    if running "$PIDS/$daemon.pid" "sge_$daemon"; then echo "sge_$daemon: pid $(cat "$PIDS/$daemon.pid")"; else echo "sge_$daemon: not started by this script"; fi
  done
  qstat -f
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
