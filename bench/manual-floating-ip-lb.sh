#!/usr/bin/env bash
# Seed 001's network node typed by hand, one command at a time, as the article does: the
# baseline for bench/up-vs-manual.ts. Differences from the article, each needed on any host:
#  - its own Open vSwitch (ovsdb-server + ovs-vswitchd) in a namespace of its own, never the
#    host's, and a veth to an "ext" namespace instead of the real eth3;
#  - veth "VMs" in namespaces; web servers are lablb's http-responder (the article's nc loop);
#  - TX checksum offload off (the userspace datapath's checksum trap).
#   bench/manual-floating-ip-lb.sh up|down
set -euo pipefail
R=/run/lablb-bench-manual
SW=manual-ovs
AGENT="$(cd "$(dirname "$0")/.." && pwd)/dist/src/agents/http-responder.js"
export OVS_RUNDIR=$R OVS_DBDIR=$R OVS_LOGDIR=$R
vsctl() { ovs-vsctl --db=unix:$R/db.sock "$@"; }

if [ "${1:-}" = down ]; then
  for p in $R/*.pid; do [ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  for ns in ext qrouter01 qlbaas-01 vm2 vm1 $SW; do ip netns del $ns 2>/dev/null || true; done
  rm -rf $R
  exit 0
fi

mkdir -p $R
ip netns add $SW
ovsdb-tool create $R/conf.db /usr/share/openvswitch/vswitch.ovsschema
ip netns exec $SW ovsdb-server $R/conf.db --remote=punix:$R/db.sock --pidfile=$R/ovsdb-server.pid --detach --log-file=$R/ovsdb-server.log
vsctl --no-wait init
ip netns exec $SW ovs-vswitchd unix:$R/db.sock --pidfile=$R/ovs-vswitchd.pid --detach --log-file=$R/ovs-vswitchd.log
vsctl --may-exist add-br br-int -- set bridge br-int datapath_type=netdev
vsctl --may-exist add-br br-ex -- set bridge br-ex datapath_type=netdev

# The two VMs (on compute nodes in the article)
for i in 1 2; do
  ip netns add vm$i
  ip -n $SW link add tapvm$i type veth peer name eth0 netns vm$i
  ip -n $SW link set tapvm$i up
  ip netns exec $SW ethtool -K tapvm$i tx off >/dev/null
  vsctl add-port br-int tapvm$i tag=1
  ip netns exec vm$i ip link set lo up
  ip netns exec vm$i ip addr add 10.0.0.8$i/24 dev eth0
  ip netns exec vm$i ip link set eth0 up
  ip netns exec vm$i ethtool -K eth0 tx off >/dev/null
  ip netns exec vm$i ip route add default via 10.0.0.1
  ip netns exec vm$i node "$AGENT" --listen 10.0.0.8$i:80 --text server_8$i --pidfile $R/web$i.pid >/dev/null 2>&1 &
done

# 8.1 2) the load balancer's namespace and port
vsctl -- --if-exists del-port tap04 -- add-port br-int tap04 -- set interface tap04 type=internal
vsctl set Port tap04 tag=1
ip netns add qlbaas-01
ip -n $SW link set tap04 netns qlbaas-01
ip netns exec qlbaas-01 ip link set tap04 address fa:16:3e:f4:8f:ae
ip netns exec qlbaas-01 sysctl -w net.ipv4.conf.all.promote_secondaries=1 >/dev/null
ip netns exec qlbaas-01 ip link set lo up
ip netns exec qlbaas-01 ip link set tap04 up
ip netns exec qlbaas-01 ip -4 addr add 10.0.0.100/24 brd 10.0.0.255 scope global dev tap04
ip netns exec qlbaas-01 ip route add default via 10.0.0.1
ip netns exec qlbaas-01 ethtool -K tap04 tx off >/dev/null
# 8.1 3) 4) haproxy
cat > $R/haproxy.cfg <<CFG
global
    daemon
    user haproxy
    group haproxy
    stats socket $R/sock mode 0666 level user
defaults
    retries 3
    option redispatch
    timeout connect 5000
    timeout client 50000
    timeout server 50000
frontend 0c32d37d-f84a-4309-9e01-72d9f0bac69e
    option tcplog
    bind 10.0.0.100:80
    mode http
    default_backend 3b9d8ebd-9eea-4925-b14e-593a6111ff33
    maxconn 100
    option forwardfor
backend 3b9d8ebd-9eea-4925-b14e-593a6111ff33
    mode http
    balance roundrobin
    option forwardfor
    timeout check 5s
    server 1f74a288-937d-4804-9ded-472a5d1110dc 10.0.0.81:80 weight 1 check inter 5s fall 3
    server 944ff4a0-4070-40e4-8189-20f385755113 10.0.0.82:80 weight 1 check inter 5s fall 3
CFG
ip netns exec qlbaas-01 haproxy -f $R/haproxy.cfg -p $R/haproxy.pid

# 8.2 1) br-ex and the outside (a namespace standing in for eth3)
ip netns add ext
ip -n $SW link add ext-eth3 type veth peer name eth3 netns ext
ip -n $SW link set ext-eth3 up
ip netns exec $SW ethtool -K ext-eth3 tx off >/dev/null
vsctl add-port br-ex ext-eth3
ip netns exec ext ip link set lo up
ip netns exec ext ip addr add 10.255.253.1/24 dev eth3
ip netns exec ext ip link set eth3 up
ip netns exec ext ethtool -K eth3 tx off >/dev/null
# 8.2 2) qrouter01 and qr01
vsctl -- --if-exists del-port qr01 -- add-port br-int qr01 -- set interface qr01 type=internal
vsctl --timeout=10 set Port qr01 tag=1
ip netns add qrouter01
ip netns exec qrouter01 ip link set lo up
ip -n $SW link set qr01 netns qrouter01
ip netns exec qrouter01 ip link set qr01 up
ip netns exec qrouter01 ip -4 addr add 10.0.0.1/24 brd 10.0.0.255 scope global dev qr01
ip netns exec qrouter01 ethtool -K qr01 tx off >/dev/null
# 8.2 3) qg01
vsctl -- --if-exists del-port qg01 -- add-port br-ex qg01 -- set interface qg01 type=internal
ip -n $SW link set qg01 netns qrouter01
ip netns exec qrouter01 ip link set qg01 up
ip netns exec qrouter01 ip -4 addr add 10.255.253.10/24 brd 10.255.253.255 scope global dev qg01
ip netns exec qrouter01 ethtool -K qg01 tx off >/dev/null
ip netns exec qrouter01 ip route replace default via 10.255.253.1 dev qg01
ip netns exec qrouter01 sysctl -w net.ipv4.ip_forward=1 >/dev/null
# 8.2 4) the l3-agent's chains, one rule per command
ipt() { ip netns exec qrouter01 iptables "$@"; }
ipt -N neutron-filter-top
ipt -A FORWARD -j neutron-filter-top
ipt -A OUTPUT -j neutron-filter-top
ipt -N neutron-l3-agent-local
ipt -A neutron-filter-top -j neutron-l3-agent-local
ipt -N neutron-l3-agent-INPUT
ipt -N neutron-l3-agent-OUTPUT
ipt -N neutron-l3-agent-FORWARD
ipt -A INPUT -j neutron-l3-agent-INPUT
ipt -A OUTPUT -j neutron-l3-agent-OUTPUT
ipt -A FORWARD -j neutron-l3-agent-FORWARD
ipt -t nat -N neutron-l3-agent-PREROUTING
ipt -t nat -N neutron-l3-agent-OUTPUT
ipt -t nat -N neutron-l3-agent-POSTROUTING
ipt -t nat -A PREROUTING -j neutron-l3-agent-PREROUTING
ipt -t nat -A OUTPUT -j neutron-l3-agent-OUTPUT
ipt -t nat -A POSTROUTING -j neutron-l3-agent-POSTROUTING
ipt -t nat -N neutron-postrouting-bottom
ipt -t nat -N neutron-l3-agent-snat
ipt -t nat -N neutron-l3-agent-float-snat
ipt -t nat -A POSTROUTING -j neutron-postrouting-bottom
ipt -t nat -A neutron-postrouting-bottom -j neutron-l3-agent-snat
ipt -t nat -A neutron-l3-agent-snat -j neutron-l3-agent-float-snat
ipt -A neutron-l3-agent-INPUT -s 0.0.0.0/0 -d 127.0.0.1 -p tcp -m tcp --dport 9697 -j ACCEPT
ipt -t nat -A neutron-l3-agent-PREROUTING -s 0.0.0.0/0 -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-port 9697
ipt -t nat -A neutron-l3-agent-POSTROUTING ! -i qg01 ! -o qg01 -m conntrack ! --ctstate DNAT -j ACCEPT
ipt -t nat -A neutron-l3-agent-snat -s 10.0.0.0/24 -j SNAT --to-source 10.255.253.10
ip netns exec qrouter01 ip -4 addr add 10.255.253.100/32 dev qg01
ipt -t nat -A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to 10.0.0.100
ipt -t nat -A neutron-l3-agent-OUTPUT -d 10.255.253.100/32 -j DNAT --to 10.0.0.100
ipt -t nat -A neutron-l3-agent-float-snat -s 10.0.0.100 -j SNAT --to 10.255.253.100
