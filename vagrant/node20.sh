#!/bin/sh
# Node.js 20 on a Debian 12 VM (Debian ships 18; lablb needs 20): Node's own build for this
# machine's architecture, taken at provision time, when the VM has the internet. Used by
# vagrant/base.rb, which both Vagrantfiles load.
set -eu
NODE_MAJOR=20
if node -e "process.exit(Number(process.versions.node.split('.')[0]) >= $NODE_MAJOR ? 0 : 1)" 2>/dev/null; then exit 0; fi
apt-get update -qq && apt-get install -y -qq curl xz-utils ca-certificates
arch=$(dpkg --print-architecture); case "$arch" in amd64) arch=x64;; arm64) arch=arm64;; esac
ver=$(curl -fsSL "https://nodejs.org/dist/latest-v$NODE_MAJOR.x/SHASUMS256.txt" | sed -nE "s/.*node-(v[0-9.]+)-linux-$arch.tar.xz/\1/p" | head -n1)
curl -fsSL "https://nodejs.org/dist/$ver/node-$ver-linux-$arch.tar.xz" | tar -xJ -C /usr/local --strip-components=1
node --version
