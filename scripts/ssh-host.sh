#!/usr/bin/env bash
# A second "host" on this machine for parsl-ts's rsync staging tests (root only):
#   scripts/ssh-host.sh up      a network namespace with a veth pair on a private subnet and an
#                               sshd inside it that takes a test key; prints ADDRESS and KEY lines
#   scripts/ssh-host.sh down    stops that sshd, removes the namespace, the link and the state dir
# Only loopback and the namespace's addresses (10.214.0.0/30) are used. Idempotent.
set -euo pipefail

NS=pslstage
HOST_IF=pstg0
NS_IF=pstg1
HOST_ADDR=10.214.0.1
NS_ADDR=10.214.0.2
STATE=/run/parsl-ts-ssh-host

log() { echo "ssh-host: $*" >&2; }

[ "$(id -u)" = 0 ] || { log "must run as root"; exit 1; }

up() {
  for cmd in sshd ssh rsync ssh-keygen ip; do
    command -v "$cmd" >/dev/null || [ -x "/usr/sbin/$cmd" ] || { log "missing $cmd (apt-get install openssh-server openssh-client rsync iproute2)"; exit 1; }
  done
  mkdir -p "$STATE" /run/sshd
  chmod 700 "$STATE"
  if ! ip netns list | grep -qw "$NS"; then
    ip netns add "$NS"
    ip link add "$HOST_IF" type veth peer name "$NS_IF"
    ip link set "$NS_IF" netns "$NS"
    ip addr add "$HOST_ADDR/30" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip netns exec "$NS" ip addr add "$NS_ADDR/30" dev "$NS_IF"
    ip netns exec "$NS" ip link set "$NS_IF" up
    ip netns exec "$NS" ip link set lo up
  fi
  [ -f "$STATE/host_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/host_key"
  [ -f "$STATE/id_test" ] || ssh-keygen -q -t ed25519 -N '' -f "$STATE/id_test"
  cp "$STATE/id_test.pub" "$STATE/authorized_keys"
  cat > "$STATE/sshd_config" <<EOF
ListenAddress $NS_ADDR
Port 22
HostKey $STATE/host_key
PidFile $STATE/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
EOF
  if ! { [ -f "$STATE/sshd.pid" ] && kill -0 "$(cat "$STATE/sshd.pid")" 2>/dev/null; }; then
    ip netns exec "$NS" /usr/sbin/sshd -f "$STATE/sshd_config" -E "$STATE/sshd.log"
  fi
  for _ in $(seq 50); do
    if ssh -i "$STATE/id_test" -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
        -o ConnectTimeout=2 -o LogLevel=ERROR "root@$NS_ADDR" true 2>/dev/null; then
      echo "ADDRESS=$NS_ADDR"
      echo "KEY=$STATE/id_test"
      return
    fi
    sleep 0.1
  done
  log "sshd in namespace $NS does not answer; see $STATE/sshd.log"
  exit 1
}

down() {
  if [ -f "$STATE/sshd.pid" ]; then
    kill "$(cat "$STATE/sshd.pid")" 2>/dev/null || true
  fi
  if ip netns list | grep -qw "$NS"; then ip netns delete "$NS"; fi
  if ip link show "$HOST_IF" >/dev/null 2>&1; then ip link delete "$HOST_IF"; fi
  rm -rf "$STATE"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
