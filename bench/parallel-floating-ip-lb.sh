#!/usr/bin/env bash
# The same network node as manual-floating-ip-lb.sh, built as fast as a script can: the fewest
# processes (one `ip -batch` per namespace, one ovs-vsctl transaction, one iptables-restore)
# and every step started as soon as what it needs exists, with ovs-vswitchd's start-up (its
# 100 ms TSC calibration) running beside the rest. No checks, no journal, no clean-up on
# failure: it is the floor any tool building this lab on this machine could reach, measured
# beside the typed script and lablb by bench/up-vs-manual.ts.
#   bench/parallel-floating-ip-lb.sh up|down
set -euo pipefail
R=/run/lablb-bench-parallel
SW=parallel-ovs
AGENT="$(cd "$(dirname "$0")/.." && pwd)/dist/src/agents/http-responder.js"
export OVS_RUNDIR=$R OVS_DBDIR=$R OVS_LOGDIR=$R
vsctl() { ovs-vsctl --db=unix:$R/db.sock "$@"; }
NAMESPACES="$SW vm1 vm2 qlbaas-01 qrouter01 ext"

if [ "${1:-}" = down ]; then
  for p in $R/*.pid; do [ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  for ns in $NAMESPACES; do echo "netns del $ns"; done | ip -force -batch - 2>/dev/null || true
  rm -rf $R
  exit 0
fi

mkdir -p $R
offloads=()
ovsdb-tool create $R/conf.db /usr/share/openvswitch/vswitch.ovsschema
ovsdb-server $R/conf.db --remote=punix:$R/db.sock --pidfile=$R/ovsdb-server.pid --detach --log-file=$R/ovsdb-server.log >>$R/daemons.out 2>&1 &
db=$!
for ns in $NAMESPACES; do echo "netns add $ns"; done | ip -batch -
wait $db  # the database is ready once ovsdb-server has detached
# Every bridge and port in one transaction, then ovs-vswitchd: it calibrates while the rest goes on.
vsctl --no-wait init -- add-br br-int -- set bridge br-int datapath_type=netdev \
  -- add-br br-ex -- set bridge br-ex datapath_type=netdev \
  -- add-port br-int tapvm1 tag=1 -- add-port br-int tapvm2 tag=1 -- add-port br-ex ext-eth3 \
  -- add-port br-int tap04 tag=1 -- set interface tap04 type=internal \
  -- add-port br-int qr01 tag=1 -- set interface qr01 type=internal \
  -- add-port br-ex qg01 -- set interface qg01 type=internal
ip netns exec $SW ovs-vswitchd unix:$R/db.sock --pidfile=$R/ovs-vswitchd.pid --detach --log-file=$R/ovs-vswitchd.log >>$R/daemons.out 2>&1 &
ip -n $SW -batch - <<B
link add tapvm1 type veth peer name eth0 netns vm1
link add tapvm2 type veth peer name eth0 netns vm2
link add ext-eth3 type veth peer name eth3 netns ext
link set tapvm1 up
link set tapvm2 up
link set ext-eth3 up
B
for i in 1 2; do
  printf 'link set lo up\naddr add 10.0.0.8%s/24 dev eth0\nlink set eth0 up\nroute add default via 10.0.0.1\n' $i | ip -n vm$i -batch -
  ip netns exec vm$i node "$AGENT" --listen 10.0.0.8$i:80 --text server_8$i --pidfile $R/web$i.pid >/dev/null 2>&1 &
done
printf 'link set lo up\naddr add 10.255.253.1/24 dev eth3\nlink set eth3 up\n' | ip -n ext -batch -
for pair in $SW:tapvm1 $SW:tapvm2 $SW:ext-eth3 vm1:eth0 vm2:eth0 ext:eth3; do
  nsenter --net=/run/netns/${pair%%:*} ethtool -K ${pair#*:} tx off >/dev/null &
  offloads+=($!)
done
sed -n '/^global/,/^CFG$/p' "$(dirname "$0")/manual-floating-ip-lb.sh" | sed '$d' | sed "s|\$R|$R|g" > $R/haproxy.cfg
nsenter --net=/run/netns/qlbaas-01 sysctl -qw net.ipv4.conf.all.promote_secondaries=1
nsenter --net=/run/netns/qrouter01 sysctl -qw net.ipv4.ip_forward=1
# The internal ports exist once ovs-vswitchd has made them.
vsctl --timeout=10 wait-until Interface tap04 'ofport>0' -- wait-until Interface qr01 'ofport>0' -- wait-until Interface qg01 'ofport>0'
printf 'link set tap04 netns qlbaas-01\nlink set qr01 netns qrouter01\nlink set qg01 netns qrouter01\n' | ip -n $SW -batch -
ip -n qlbaas-01 -batch - <<B
link set tap04 address fa:16:3e:f4:8f:ae
link set lo up
link set tap04 up
addr add 10.0.0.100/24 brd 10.0.0.255 dev tap04
route add default via 10.0.0.1
B
ip netns exec qlbaas-01 haproxy -f $R/haproxy.cfg -p $R/haproxy.pid >>$R/daemons.out 2>&1 &
ip -n qrouter01 -batch - <<B
link set lo up
link set qr01 up
addr add 10.0.0.1/24 brd 10.0.0.255 dev qr01
link set qg01 up
addr add 10.255.253.10/24 brd 10.255.253.255 dev qg01
addr add 10.255.253.100/32 dev qg01
route replace default via 10.255.253.1 dev qg01
B
# The l3-agent's chains and rules of manual-floating-ip-lb.sh, in one restore.
nsenter --net=/run/netns/qrouter01 iptables-restore --noflush <<I
*filter
:neutron-filter-top - [0:0]
:neutron-l3-agent-local - [0:0]
:neutron-l3-agent-INPUT - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-FORWARD - [0:0]
-A FORWARD -j neutron-filter-top
-A OUTPUT -j neutron-filter-top
-A neutron-filter-top -j neutron-l3-agent-local
-A INPUT -j neutron-l3-agent-INPUT
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A FORWARD -j neutron-l3-agent-FORWARD
-A neutron-l3-agent-INPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 9697 -j ACCEPT
COMMIT
*nat
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-POSTROUTING - [0:0]
:neutron-postrouting-bottom - [0:0]
:neutron-l3-agent-snat - [0:0]
:neutron-l3-agent-float-snat - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-POSTROUTING
-A POSTROUTING -j neutron-postrouting-bottom
-A neutron-postrouting-bottom -j neutron-l3-agent-snat
-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat
-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697
-A neutron-l3-agent-POSTROUTING ! -i qg01 ! -o qg01 -m conntrack ! --ctstate DNAT -j ACCEPT
-A neutron-l3-agent-snat -s 10.0.0.0/24 -j SNAT --to-source 10.255.253.10
-A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
-A neutron-l3-agent-OUTPUT -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
-A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100
COMMIT
I
for pair in qlbaas-01:tap04 qrouter01:qr01 qrouter01:qg01; do
  nsenter --net=/run/netns/${pair%%:*} ethtool -K ${pair#*:} tx off >/dev/null &
  offloads+=($!)
done
# Only the short commands: the web servers and daemons stay.
wait "${offloads[@]}"
