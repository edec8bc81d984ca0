#!/usr/bin/env bash
# The network of the OVN proof (end2end/tests/ovn-proof.spec.ts): OVN on one chassis, with the
# userspace datapath of Open vSwitch (no kernel module, no systemd), all its state in one
# directory, and a namespace per VM and one for a client, each on a port of one logical switch.
# ovs-vswitchd, its taps and the outer ends of the veths live in a namespace of their own, so
# nothing of a run is in the host's namespace and runs never clash. Only 198.18.0.0/15 is used.
#
#   ovn-lab.sh up ID DIR SWITCH PREFIXLEN NAME:PORT:IP...
#       start the databases (DIR/nb.sock, DIR/sb.sock), northd, ovs-vswitchd and ovn-controller;
#       make logical switch SWITCH with a port PORT per NAME, and namespace ov<ID>-NAME whose
#       eth0 has IP/PREFIXLEN and is that port; wait until the chassis has claimed them all
#   ovn-lab.sh down ID DIR
#       stop every daemon of the run by its pid file (the bridge is deleted before ovs-vswitchd
#       stops, else its taps outlive it), then delete the namespaces
set -euo pipefail

command=${1:?up or down}
id=${2:?an id of up to 6 letters or digits}
dir=${3:?the directory of the run}
[[ $id =~ ^[a-z0-9]{1,6}$ ]] || { echo "bad id $id" >&2; exit 2; }
p="ov$id"
bridge="bi$id"

vsctl() { ovs-vsctl --db="unix:$dir/db.sock" --timeout=10 "$@"; }
nbctl() { ovn-nbctl --db="unix:$dir/nb.sock" --timeout=10 "$@"; }
sbctl() { ovn-sbctl --db="unix:$dir/sb.sock" --timeout=10 "$@"; }
in_ovs() { ip netns exec "$p-ovs" "$@"; }
# A locally administered MAC made of the address: 198.18.4.11 -> 0a:58:c6:12:04:0b.
mac_of() { local IFS=.; set -- $1; printf '0a:58:%02x:%02x:%02x:%02x' "$1" "$2" "$3" "$4"; }

up() {
  local switch=${1:?switch} plen=${2:?prefix length}; shift 2
  for name in nb sb; do
    ovsdb-tool create "$dir/$name.db" "/usr/share/ovn/ovn-$name.ovsschema"
  done
  ovsdb-tool create "$dir/db.db" /usr/share/openvswitch/vswitch.ovsschema
  for name in nb sb db; do
    ovsdb-server "$dir/$name.db" --remote="punix:$dir/$name.sock" --pidfile="$dir/$name.pid" \
      --unixctl="$dir/$name.ctl" --detach --log-file="$dir/$name.log" 2>>"$dir/start.err"
  done
  vsctl --no-wait init
  ovn-northd --ovnnb-db="unix:$dir/nb.sock" --ovnsb-db="unix:$dir/sb.sock" --pidfile="$dir/northd.pid" \
    --unixctl="$dir/northd.ctl" --detach --log-file="$dir/northd.log" 2>>"$dir/start.err"

  ip netns add "$p-ovs"
  ip -n "$p-ovs" link set lo up
  in_ovs env OVS_RUNDIR="$dir" ovs-vswitchd "unix:$dir/db.sock" --pidfile="$dir/vswitchd.pid" \
    --unixctl="$dir/vswitchd.ctl" --detach --log-file="$dir/vswitchd.log" 2>>"$dir/start.err"
  vsctl add-br "$bridge" -- set bridge "$bridge" datapath_type=netdev fail-mode=secure
  vsctl set open . external_ids:ovn-remote="unix:$dir/sb.sock" external_ids:ovn-encap-type=geneve \
    external_ids:ovn-encap-ip=127.0.0.1 external_ids:system-id="chassis-$id" \
    external_ids:ovn-bridge="$bridge" external_ids:ovn-bridge-datapath-type=netdev
  # ovn-controller 23.03 refuses --unixctl: it makes ovn-controller.<pid>.ctl in OVN_RUNDIR.
  env OVS_RUNDIR="$dir" OVN_RUNDIR="$dir" ovn-controller "unix:$dir/db.sock" --pidfile="$dir/controller.pid" \
    --detach --log-file="$dir/controller.log" 2>>"$dir/start.err"

  nbctl ls-add "$switch"
  local spec name port address mac
  for spec in "$@"; do
    IFS=: read -r name port address <<<"$spec"
    mac=$(mac_of "$address")
    nbctl lsp-add "$switch" "$port" -- lsp-set-addresses "$port" "$mac $address"
    ip netns add "$p-$name"
    ip -n "$p-ovs" link add "o$id$name" type veth peer name eth0 netns "$p-$name"
    ip -n "$p-$name" link set lo up
    ip -n "$p-$name" link set eth0 address "$mac"
    ip -n "$p-$name" addr add "$address/$plen" dev eth0
    ip -n "$p-$name" link set eth0 up
    ip -n "$p-ovs" link set "o$id$name" up
    vsctl add-port "$bridge" "o$id$name" -- set interface "o$id$name" external_ids:iface-id="$port"
  done
  # Until the chassis has the flows of every port.
  nbctl --wait=hv sync
  for spec in "$@"; do
    IFS=: read -r name port address <<<"$spec"
    [ -n "$(sbctl --bare --columns=chassis find Port_Binding logical_port="$port")" ] \
      || { echo "port $port is not bound to the chassis" >&2; exit 1; }
  done
}

# The process of a pid file of this run, if it still runs.
pid_of() {
  local file=$dir/$1 pid
  [ -s "$file" ] || return 1
  pid=$(cat "$file")
  [ -d "/proc/$pid" ] && grep -qa -- "$dir" "/proc/$pid/cmdline" && echo "$pid"
}

stop_daemon() {
  local pid
  pid=$(pid_of "$1") || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  # Detached daemons are not our children: wait for their /proc entry to go (or turn zombie).
  for _ in $(seq 50); do
    [ -d "/proc/$pid" ] && [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

down() {
  stop_daemon controller.pid
  if pid_of vswitchd.pid >/dev/null && pid_of db.pid >/dev/null; then
    vsctl --if-exists del-br "$bridge" || echo "could not delete bridge $bridge" >&2
  fi
  for daemon in vswitchd northd nb sb db; do
    stop_daemon "$daemon.pid"
  done
  local namespace
  for namespace in $(ip netns list | awk '{print $1}' | grep "^$p-" || true); do
    ip netns pids "$namespace" | xargs -r kill -KILL 2>/dev/null || true
    ip netns del "$namespace"
  done
}

case $command in
  up) shift 3; up "$@" ;;
  down) down ;;
  *) echo "usage: $0 up|down ID DIR …" >&2; exit 2 ;;
esac
