import t from 'tap';
import { renderHaproxyConf } from '../../src/render/haproxy-conf.js';
import { floatingIpRules, renderRouterRules } from '../../src/render/iptables-rules.js';
import { join } from 'node:path';
import { renderKeepalivedConf } from '../../src/render/keepalived-conf.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { loadFixtureLab, ROOT } from '../helpers.js';

const lab = loadFixtureLab();

t.test('haproxy.conf has the shape of seed 001 and Neutron LBaaS v2', async (t) => {
  const lb = lab.nodes.find((n) => n.name === 'qlbaas-01')!.services[0];
  if (lb.kind !== 'haproxy') throw new Error('fixture changed');
  t.equal(
    renderHaproxyConf(lb),
    `global
    daemon
    user haproxy
    group haproxy
    maxconn 100
    pidfile /run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.pid
    stats socket /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_stats.sock mode 0666 level admin

defaults
    retries 3
    option redispatch
    timeout connect 5000
    timeout client 50000
    timeout server 50000

frontend 0c32d37d-f84a-4309-9e01-72d9f0bac69e
    option httplog
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
`,
  );
});

t.test('an HTTP health monitor adds httpchk; TCP listeners use tcp mode', async (t) => {
  const lb = lab.nodes.find((n) => n.name === 'qlbaas-01')!.services[0];
  if (lb.kind !== 'haproxy') throw new Error('fixture changed');
  const http = renderHaproxyConf({ ...lb, pool: { ...lb.pool, lbMethod: 'SOURCE_IP', monitor: { ...lb.pool.monitor, type: 'HTTP', urlPath: '/health' } } });
  t.match(http, /option httpchk GET \/health\n    http-check expect rstatus 200/);
  t.match(http, /balance source/);
  const tcp = renderHaproxyConf({ ...lb, listener: { ...lb.listener, protocol: 'TCP' } });
  t.match(tcp, /option tcplog/);
  t.match(tcp, /mode tcp/);
  t.notMatch(tcp, /forwardfor/);
});

t.test('router rules: the article\'s chains, default SNAT to the gateway, the floating IP', async (t) => {
  const router = lab.nodes.find((n) => n.name === 'qrouter01')!;
  t.equal(
    renderRouterRules(router.l3!),
    `*filter
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
`,
  );
  t.notMatch(renderRouterRules({ ...router.l3!, enableSnat: false }), /--to-source 10.255.253.10\n/, 'enable_snat: false drops the default SNAT');
});

t.test('floating IP rule specs are the ones iptables-save prints', async (t) => {
  t.same(floatingIpRules('192.0.2.5', '10.1.1.5'), {
    dnat: '-A neutron-l3-agent-PREROUTING -d 192.0.2.5/32 -j DNAT --to-destination 10.1.1.5',
    outputDnat: '-A neutron-l3-agent-OUTPUT -d 192.0.2.5/32 -j DNAT --to-destination 10.1.1.5',
    snat: '-A neutron-l3-agent-float-snat -s 10.1.1.5/32 -j SNAT --to-source 192.0.2.5',
  });
});

t.test('keepalived.conf: every node starts BACKUP; the priority decides', async (t) => {
  const pair = resolveLab(loadScenarioFile(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml')), { stateRoot: '/run/lablb' });
  const k = pair.nodes[0].services[0];
  if (k.kind !== 'keepalived') throw new Error('fixture changed');
  t.equal(
    renderKeepalivedConf(k),
    `global_defs {
    router_id lb1
}

vrrp_instance VR_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.1.0.100/24 dev eth0
    }
}
`,
  );
  t.match(renderKeepalivedConf({ ...k, instances: [{ ...k.instances[0], nopreempt: true }] }), /advert_int 1\n    nopreempt\n/);
  t.same(pair.nodes[0].sysctls, [['net.ipv4.ip_nonlocal_bind', '1']], 'a keepalived node may bind a VIP it does not hold yet');
});
