#!/usr/bin/env bash
# A real multi-node Slurm cluster on this one machine, for parsl-ts's cluster tests (root only):
#   scripts/slurm-cluster.sh up      build it (installs slurm-wlm and munge from apt if missing)
#   scripts/slurm-cluster.sh down    remove every process, namespace, link and hosts entry it made
#   scripts/slurm-cluster.sh status  sinfo and squeue
# slurmctld runs on the host; each compute node (node1..node3) is a network namespace with its
# own hostname and address on a private bridge, running its own slurmd. Only the addresses of
# those namespaces (10.213.0.0/24) and loopback are used. `up` and `down` are idempotent.
set -euo pipefail

STATE=/run/parsl-ts-slurm           # pid files, spool, logs
CONF=/etc/slurm/slurm.conf
MARK='# parsl-ts slurm-cluster.sh'   # marks the files and hosts lines this script wrote
BRIDGE=pslbr0
NET=10.213.0
NODES=(node1 node2 node3)
PARTITION=parsl

log() { echo "slurm-cluster: $*" >&2; }

need_root() {
  [ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v munged >/dev/null && command -v sbatch >/dev/null; then
    return
  fi
  log "installing slurm-wlm and munge"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
}

start_munge() {
  if munge -n >/dev/null 2>&1; then return; fi   # a munged that works (ours or the system's)
  [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key 2>/dev/null || create-munge-key -f; }
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge /var/log/munge /var/lib/munge && chown munge:munge /run/munge /var/log/munge /var/lib/munge
  # A stale socket or pid file from a dead munged (zombies linger here) stops a new one.
  rm -f /run/munge/munge.socket.2 /run/munge/munge.socket.2.lock /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 50); do munge -n >/dev/null 2>&1 && break; sleep 0.1; done
  munge -n >/dev/null 2>&1 || { log "munged did not start"; exit 1; }
  cp /run/munge/munged.pid "$STATE/munged.pid"
}

network_up() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "$NET.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
  local i=0
  for node in "${NODES[@]}"; do
    i=$((i + 1))
    if ! ip netns list | grep -qw "^$node"; then ip netns add "$node"; fi
    if ! ip link show "pslv$i" >/dev/null 2>&1; then
      ip link add "pslv$i" type veth peer name "pslv${i}n"
      ip link set "pslv${i}n" netns "$node"
      ip -n "$node" link set "pslv${i}n" name eth0
      ip -n "$node" addr add "$NET.1$i/24" dev eth0
    fi
    ip link set "pslv$i" master "$BRIDGE"
    ip link set "pslv$i" up
    ip -n "$node" link set lo up
    ip -n "$node" link set eth0 up
    ip -n "$node" route replace default via "$NET.1"
  done
  if ! grep -q "$MARK" /etc/hosts; then
    i=0
    for node in "${NODES[@]}"; do i=$((i + 1)); echo "$NET.1$i $node $MARK" >> /etc/hosts; done
  fi
}

write_config() {
  if [ -f "$CONF" ] && ! grep -q "$MARK" "$CONF"; then
    log "$CONF exists and was not written by this script; not touching it"
    exit 1
  fi
  mkdir -p /etc/slurm "$STATE/ctld" "$STATE/log"
  cat > "$CONF" <<EOF
$MARK (removed by 'down')
ClusterName=parslts
SlurmctldHost=$(hostname)($NET.1)
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/spool/%n
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd-%n.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd-%n.log
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
KillWait=5
InactiveLimit=0
MinJobAge=300
NodeName=node[1-3] NodeAddr=$NET.1[1-3] CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=$PARTITION Nodes=node[1-3] Default=YES MaxTime=INFINITE State=UP LLN=YES
EOF
}

start_daemons() {
  if ! alive "$STATE/slurmctld.pid"; then
    rm -f "$STATE/slurmctld.pid"
    slurmctld -i
    for _ in $(seq 100); do alive "$STATE/slurmctld.pid" && scontrol ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  for node in "${NODES[@]}"; do
    if alive "$STATE/slurmd-$node.pid"; then continue; fi
    mkdir -p "$STATE/spool/$node"
    # nsenter, not `ip netns exec`: that remounts /sys and slurmd then finds no cgroup fs.
    nsenter --net="/run/netns/$node" unshare --uts sh -c "hostname $node; exec slurmd -N $node"
  done
}

wait_ready() {
  # sinfo may say idle from saved state before the slurmds registered: run a real job step.
  for _ in $(seq 120); do
    if timeout 10 srun -N3 -n3 -p "$PARTITION" --time=1 hostname >/dev/null 2>&1; then
      log "up: $(sinfo -h -p "$PARTITION" -o '%D nodes %t')"
      return
    fi
    scontrol update nodename=node[1-3] state=resume >/dev/null 2>&1 || true
    sleep 1
  done
  log "nodes did not become ready; see $STATE/log/"
  exit 1
}

kill_pidfile() {
  local file=$1
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}

down() {
  # Jobs first, so no slurmstepd is left running a worker.
  if [ -f "$CONF" ] && grep -q "$MARK" "$CONF" && alive "$STATE/slurmctld.pid"; then
    timeout 10 scancel --partition="$PARTITION" >/dev/null 2>&1 || true
  fi
  for node in "${NODES[@]}"; do
    # Every process in the node's namespace (slurmd, slurmstepd, job processes).
    if [ -e "/run/netns/$node" ]; then
      for pid in $(ip netns pids "$node" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    fi
    kill_pidfile "$STATE/slurmd-$node.pid"
  done
  kill_pidfile "$STATE/slurmctld.pid"
  kill_pidfile "$STATE/munged.pid"
  local i=0
  for node in "${NODES[@]}"; do
    i=$((i + 1))
    ip link del "pslv$i" 2>/dev/null || true
    ip netns del "$node" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  sed -i "\|$MARK|d" /etc/hosts
  if [ -f "$CONF" ] && grep -q "$MARK" "$CONF"; then rm -f "$CONF"; fi
  rm -rf "$STATE"
  log "down"
}

case "${1:-}" in
  up)
    need_root
    install_packages
    mkdir -p "$STATE"
    start_munge
    network_up
    write_config
    start_daemons
    wait_ready
    ;;
  down)
    need_root
    down
    ;;
  status)
    sinfo
    squeue
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
