/* IMPORTANT
 * This snapshot file is auto-generated, but designed for humans.
 * It should be checked into source control and tracked carefully.
 * Re-generate by setting TAP_SNAPSHOT=1 and running tests.
 * Make sure to inspect the output below.  Do not ignore changes!
 */
'use strict'
exports[`test/unit/plan.test.ts > TAP > the whole plan, as \`up --explain\` prints it > must match snapshot 1`] = `
# lablb plan for lab floating-ip-lb: the commands \`lablb up\` runs, in an order that works when
# typed one by one. lablb itself runs each task as soon as the tasks it needs are done.
export OVS_RUNDIR=/run/lablb/floating-ip-lb/ovs
export OVS_DBDIR=/run/lablb/floating-ip-lb/ovs
export OVS_LOGDIR=/run/lablb/floating-ip-lb/ovs

# 1. [state-dir] State directory /run/lablb/floating-ip-lb
mkdir -p /run/lablb/floating-ip-lb/ovs /run/lablb/floating-ip-lb/nodes/vm1 /run/lablb/floating-ip-lb/nodes/vm2 /run/lablb/floating-ip-lb/nodes/qlbaas-01 /run/lablb/floating-ip-lb/nodes/qrouter01 /run/lablb/floating-ip-lb/nodes/ext

# 2. [namespaces] The namespace of the lab's own Open vSwitch
ip -batch - <<'EOF'
netns add lablb-floating-ip-lb
EOF

# 3. [members:netns] Namespaces: one per node (5)
ip -batch - <<'EOF'
netns add vm1
netns add vm2
netns add qlbaas-01
netns add qrouter01
netns add ext
EOF

# 4. [ovsdb] The lab's own OVS database (ovsdb-server) (after: state-dir)
ovsdb-tool create /run/lablb/floating-ip-lb/ovs/conf.db /usr/share/openvswitch/vswitch.ovsschema
LABLB_TOKEN=floating-ip-lb/lablb-floating-ip-lb/ovsdb-server ovsdb-server /run/lablb/floating-ip-lb/ovs/conf.db --remote=punix:/run/lablb/floating-ip-lb/ovs/db.sock --pidfile=/run/lablb/floating-ip-lb/ovs/ovsdb-server.pid --log-file=/run/lablb/floating-ip-lb/ovs/ovsdb-server.log >>/run/lablb/floating-ip-lb/ovs/ovsdb-server.out 2>&1 &
until [ -e /run/lablb/floating-ip-lb/ovs/db.sock ]; do sleep 0.01; done

# 5. [switch] ovs-vswitchd (netdev datapath) in namespace lablb-floating-ip-lb (after: namespaces, ovsdb)
LABLB_TOKEN=floating-ip-lb/lablb-floating-ip-lb/ovs-vswitchd ip netns exec lablb-floating-ip-lb ovs-vswitchd unix:/run/lablb/floating-ip-lb/ovs/db.sock --pidfile=/run/lablb/floating-ip-lb/ovs/ovs-vswitchd.pid --log-file=/run/lablb/floating-ip-lb/ovs/ovs-vswitchd.log >>/run/lablb/floating-ip-lb/ovs/ovs-vswitchd.out 2>&1 &
until [ -e /run/lablb/floating-ip-lb/ovs/ovs-vswitchd.pid ]; do sleep 0.01; done

# 6. [veths] veth pairs: one end in a node, the other in the switch's namespace (after: namespaces, members:netns)
ip -n lablb-floating-ip-lb -batch - <<'EOF'
link set lo up
link add tapvm1 type veth peer name eth0 netns vm1
link set tapvm1 up
link add tapvm2 type veth peer name eth0 netns vm2
link set tapvm2 up
link add eth3 type veth peer name eth3 netns ext
link set eth3 up
EOF

# 7. [offload] TX checksum offload off on the switch's veth ends (after: veths)
ip netns exec lablb-floating-ip-lb ethtool -K tapvm1 tx off
ip netns exec lablb-floating-ip-lb ethtool -K tapvm2 tx off
ip netns exec lablb-floating-ip-lb ethtool -K eth3 tx off

# 8. [bridges] Bridges and ports: one ovs-vsctl transaction (after: switch, veths)
ovs-vsctl --db=unix:/run/lablb/floating-ip-lb/ovs/db.sock -- init -- --may-exist add-br br-int -- set bridge br-int datapath_type=netdev -- --may-exist add-br br-ex -- set bridge br-ex datapath_type=netdev -- --may-exist add-port br-int tapvm1 tag=1 -- --may-exist add-port br-int tapvm2 tag=1 -- --may-exist add-port br-int tap04 tag=1 -- set interface tap04 type=internal -- --may-exist add-port br-int qr01 tag=1 -- set interface qr01 type=internal -- --may-exist add-port br-ex qg01 -- set interface qg01 type=internal -- --may-exist add-port br-ex eth3

# 9. [move:tap04] Move OVS internal port tap04 into qlbaas-01 (after: bridges)
ip -n lablb-floating-ip-lb link set tap04 netns qlbaas-01

# 10. [move:qr01] Move OVS internal port qr01 into qrouter01 (after: bridges)
ip -n lablb-floating-ip-lb link set qr01 netns qrouter01

# 11. [move:qg01] Move OVS internal port qg01 into qrouter01 (after: bridges)
ip -n lablb-floating-ip-lb link set qg01 netns qrouter01

# 12. [node:vm1] vm1: addresses, routes (after: veths)
ip -n vm1 -batch - <<'EOF'
link set lo up
addr add 10.0.0.81/24 brd 10.0.0.255 dev eth0
link set eth0 up
route replace default via 10.0.0.1
EOF

# 13. [settings:vm1] vm1: TX checksum offload off (after: node:vm1)
ip netns exec vm1 ethtool -K eth0 tx off

# 14. [node:vm2] vm2: addresses, routes (after: veths)
ip -n vm2 -batch - <<'EOF'
link set lo up
addr add 10.0.0.82/24 brd 10.0.0.255 dev eth0
link set eth0 up
route replace default via 10.0.0.1
EOF

# 15. [settings:vm2] vm2: TX checksum offload off (after: node:vm2)
ip netns exec vm2 ethtool -K eth0 tx off

# 16. [node:qlbaas-01] qlbaas-01: addresses, routes (after: move:tap04)
ip -n qlbaas-01 -batch - <<'EOF'
link set lo up
link set dev tap04 address fa:16:3e:f4:8f:ae
addr add 10.0.0.100/24 brd 10.0.0.255 dev tap04
link set tap04 up
route replace default via 10.0.0.1
EOF

# 17. [settings:qlbaas-01] qlbaas-01: sysctls, TX checksum offload off (after: node:qlbaas-01)
ip netns exec qlbaas-01 sysctl -q -w net.ipv4.conf.all.promote_secondaries=1
ip netns exec qlbaas-01 ethtool -K tap04 tx off

# 18. [node:qrouter01] qrouter01: addresses, routes (after: move:qr01, move:qg01)
ip -n qrouter01 -batch - <<'EOF'
link set lo up
addr add 10.0.0.1/24 brd 10.0.0.255 dev qr01
link set qr01 up
addr add 10.255.253.10/24 brd 10.255.253.255 dev qg01
link set qg01 up
route replace default via 10.255.253.1
EOF

# 19. [settings:qrouter01] qrouter01: sysctls, TX checksum offload off (after: node:qrouter01)
ip netns exec qrouter01 sysctl -q -w net.ipv4.ip_forward=1
ip netns exec qrouter01 ethtool -K qr01 tx off
ip netns exec qrouter01 ethtool -K qg01 tx off

# 20. [node:ext] ext: addresses, routes (after: veths)
ip -n ext -batch - <<'EOF'
link set lo up
addr add 10.255.253.1/24 brd 10.255.253.255 dev eth3
link set eth3 up
EOF

# 21. [settings:ext] ext: TX checksum offload off (after: node:ext)
ip netns exec ext ethtool -K eth3 tx off

# 22. [service:vm1/web] vm1: web server on 10.0.0.81:80 answering server_81 (after: node:vm1)
LABLB_TOKEN=floating-ip-lb/vm1/web ip netns exec vm1 node <lablb>/dist/src/agents/http-responder.js --listen 10.0.0.81:80 --text server_81 --pidfile /run/lablb/floating-ip-lb/nodes/vm1/web.pid >>/run/lablb/floating-ip-lb/nodes/vm1/web.log 2>&1 &
until [ -e /run/lablb/floating-ip-lb/nodes/vm1/web.pid ]; do sleep 0.01; done

# 23. [service:vm2/web] vm2: web server on 10.0.0.82:80 answering server_82 (after: node:vm2)
LABLB_TOKEN=floating-ip-lb/vm2/web ip netns exec vm2 node <lablb>/dist/src/agents/http-responder.js --listen 10.0.0.82:80 --text server_82 --pidfile /run/lablb/floating-ip-lb/nodes/vm2/web.pid >>/run/lablb/floating-ip-lb/nodes/vm2/web.log 2>&1 &
until [ -e /run/lablb/floating-ip-lb/nodes/vm2/web.pid ]; do sleep 0.01; done

# 24. [service:qlbaas-01/lb] qlbaas-01: haproxy (LBaaS v2) on 10.0.0.100:80 over vm1, vm2 (after: node:qlbaas-01, service:vm1/web, service:vm2/web)
LABLB_TOKEN=floating-ip-lb/qlbaas-01/lb/arping ip netns exec qlbaas-01 arping -U -I tap04 -c 3 10.0.0.100 >>/run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.arping.log 2>&1 &
cat > /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy.conf <<'EOF'
# LBaaS v2 (haproxy namespace driver): one load balancer, 1 listener on its VIP
global
    daemon
    user haproxy
    group haproxy
    maxconn 100
    pidfile /run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.pid
    log ring@lablog local0
    stats socket /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_stats.sock mode 0600 level user
    stats socket /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_events.sock mode 0600 level operator

ring lablog
    format rfc3164
    maxlen 1024
    size 65536

defaults
    log global
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
    server 1f74a288-937d-4804-9ded-472a5d1110dc 10.0.0.81:80 weight 1 check inter 1s fall 3 rise 2
    server 944ff4a0-4070-40e4-8189-20f385755113 10.0.0.82:80 weight 1 check inter 1s fall 3 rise 2
EOF
LABLB_TOKEN=floating-ip-lb/qlbaas-01/lb ip netns exec qlbaas-01 haproxy -f /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy.conf -p /run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.pid
until [ -e /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_stats.sock ]; do sleep 0.05; done   # haproxy stats socket

# 25. [service:qrouter01/l3] qrouter01: l3-agent: gateway qg01, 1 floating IP, SNAT (after: node:qrouter01)
ip -n qrouter01 -batch - <<'EOF'
addr add 10.255.253.100/32 dev qg01
EOF
ip netns exec qrouter01 iptables-restore --noflush <<'EOF'
*filter
:neutron-filter-top - [0:0]
:neutron-l3-agent-local - [0:0]
:neutron-l3-agent-INPUT - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-FORWARD - [0:0]
-A INPUT -j neutron-l3-agent-INPUT
-A FORWARD -j neutron-filter-top
-A FORWARD -j neutron-l3-agent-FORWARD
-A OUTPUT -j neutron-filter-top
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A neutron-filter-top -j neutron-l3-agent-local
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
-A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
-A neutron-l3-agent-OUTPUT -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
-A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100
-A neutron-l3-agent-snat -s 10.0.0.0/24 -j SNAT --to-source 10.255.253.10
COMMIT
EOF

# 26. [service:ext/whoami] ext: web server on 10.255.253.1:8080 answering with the caller's address (after: node:ext)
LABLB_TOKEN=floating-ip-lb/ext/whoami ip netns exec ext node <lablb>/dist/src/agents/http-responder.js --listen 10.255.253.1:8080 --whoami --pidfile /run/lablb/floating-ip-lb/nodes/ext/whoami.pid >>/run/lablb/floating-ip-lb/nodes/ext/whoami.log 2>&1 &
until [ -e /run/lablb/floating-ip-lb/nodes/ext/whoami.pid ]; do sleep 0.01; done

`
