#!/usr/bin/env bash
# The network of the HA proof (end2end/tests/ha-proof.spec.ts): a bridge in a namespace of its
# own, three VM namespaces on it (eth0 in 198.18.1.0/24), and the console's server in a
# namespace on the same network, reachable from the host (the browser) through a veth pair in
# 198.19.0.0/30. Only addresses of 198.18.0.0/15 are used: nothing leaves the machine.
#
#   ha-lab.sh up ID     make the namespaces hp<ID>-{br,srv,vm1,vm2,vm3} and the host's veth
#   ha-lab.sh down ID   stop every process left in them, delete them and the veth
set -euo pipefail

command=${1:?up or down}
id=${2:?an id of up to 6 letters or digits}
[[ $id =~ ^[a-z0-9]{1,6}$ ]] || { echo "bad id $id" >&2; exit 2; }
p="hp$id"

up() {
  ip netns add "$p-br"
  ip -n "$p-br" link set lo up
  ip -n "$p-br" link add br0 type bridge
  ip -n "$p-br" link set br0 up
  # The server: 198.18.1.2 on the VMs' network, 198.19.0.2 towards the host.
  ip netns add "$p-srv"
  ip -n "$p-srv" link set lo up
  ip -n "$p-br" link add "$p-s" type veth peer name eth0 netns "$p-srv"
  ip -n "$p-br" link set "$p-s" master br0 up
  ip -n "$p-srv" addr add 198.18.1.2/24 dev eth0
  ip -n "$p-srv" link set eth0 up
  ip link add "$p-h" type veth peer name host0 netns "$p-srv"
  ip addr add 198.19.0.1/30 dev "$p-h"
  ip link set "$p-h" up
  ip -n "$p-srv" addr add 198.19.0.2/30 dev host0
  ip -n "$p-srv" link set host0 up
  for n in 1 2 3; do
    ip netns add "$p-vm$n"
    ip -n "$p-vm$n" link set lo up
    ip -n "$p-br" link add "$p-v$n" type veth peer name eth0 netns "$p-vm$n"
    ip -n "$p-br" link set "$p-v$n" master br0 up
    ip -n "$p-vm$n" addr add "198.18.1.1$n/24" dev eth0
    ip -n "$p-vm$n" link set eth0 up
  done
}

down() {
  local namespaces pids
  namespaces=$(ip netns list | awk '{print $1}' | grep "^$p-" || true)
  pids=$(for ns in $namespaces; do ip netns pids "$ns"; done)
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  for ns in $namespaces; do ip netns del "$ns"; done
  ip link del "$p-h" 2>/dev/null || true
}

case $command in
  up) up ;;
  down) down ;;
  *) echo "up or down" >&2; exit 2 ;;
esac
