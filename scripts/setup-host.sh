#!/usr/bin/env bash
# Sets up a Debian/Ubuntu host for lablb: the host packages it drives, then `npm ci` (which
# builds lablb through its prepare script). Used by the README, CI (.ci/run) and the Vagrant VM.
# Safe to run again. Starts no services: lablb starts its own daemons per lab.
#
#   sudo scripts/setup-host.sh            # packages + npm ci
#   sudo scripts/setup-host.sh --packages # packages only
set -euo pipefail

PACKAGES=(
  iproute2 procps kmod          # ip, sysctl, modprobe
  openvswitch-switch            # ovsdb-server, ovs-vswitchd, ovs-vsctl (a private instance per lab)
  haproxy                       # load balancers
  iptables                      # the l3-agent's NAT chains (iptables-restore/-save)
  ethtool                       # TX checksum offload off on the userspace datapath
  curl                          # probes and `lablb exec ext -- curl ...`
  keepalived conntrackd         # VRRP scenarios; conntrackd for L3 HA with synced connection tracking
  dnsmasq-base isc-dhcp-client  # DHCP agents and a real DHCP client (dhcp-ha)
  iputils-arping                # gratuitous ARP as the article types it: arping -U -I tap04 (not Debian's other arping)
  conntrack tcpdump iputils-ping net-tools wget   # the learner's tools the article types (route, arp, wget)
  util-linux                    # unshare: the fuzz test checks iptables rules in a throwaway namespace
  tmux                          # the terminal UI's integration test
  graphviz                      # lablb graph --format svg (dot), the run report's topology
  chromium                      # the run report's test opens it in a real (headless) browser
  nfs-ganesha nfs-ganesha-vfs libnfs-utils   # Manila's share server (userspace NFSv4) and a userspace NFS client
  docker.io busybox-static      # members as containers (runtime: docker) and lablb's local busybox image
)

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-host.sh installs Debian packages: run it with sudo" >&2
  exit 2
fi
if ! command -v apt-get >/dev/null; then
  echo "setup-host.sh needs apt-get (Debian or Ubuntu); install these yourself: ${PACKAGES[*]}" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d 101: the packages' maintainer scripts must not start system daemons
  # (openvswitch-switch, haproxy, keepalived); lablb runs its own, per lab.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && created_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created_policy" = 1 ] && rm -f "$policy"
else
  echo "Host packages: all present"
fi

if [ "${1:-}" = "--packages" ]; then exit 0; fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "lablb needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  echo "Debian 12 ships Node 18; install Node 20 first (vagrant/Vagrantfile shows one way)." >&2
  exit 2
fi

cd "$here"
echo "Installing lablb's npm dependencies and building (npm ci)"
npm ci --no-audit --no-fund --loglevel=error
echo "Ready: sudo npx lablb run floating-ip-lb"
