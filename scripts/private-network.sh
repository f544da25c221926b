#!/usr/bin/env bash
# Runs a command where Chromium's WebRTC can gather ICE candidates.
#
# Chromium gathers no candidates at all on a machine without a default
# route (it considers itself offline), and it never uses the loopback
# interface, so two browser contexts cannot connect even though every
# other test only talks to 127.0.0.1. CI sandboxes can look like that.
# There, and only there, the command runs in a private network namespace
# with loopback and a veth pair that carries a default route to nowhere:
# nothing leaves the namespace, but Chromium has an interface to use.
set -euo pipefail

if ! command -v ip >/dev/null || ip route show default | grep -q .; then
  exec "$@"
fi
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
  echo "private-network: no default route and cannot make a network namespace (needs root, unshare, ip); WebRTC tests will fail" >&2
  exec "$@"
fi
echo "private-network: no default route here; running in a private network namespace (loopback + veth 10.203.0.1/24)" >&2
exec unshare --net bash -euo pipefail -c '
  ip link set lo up
  ip link add grove-v0 type veth peer name grove-v1
  ip addr add 10.203.0.1/24 dev grove-v0
  ip link set grove-v0 up
  ip link set grove-v1 up
  ip route add default via 10.203.0.2 dev grove-v0
  exec "$@"
' private-network "$@"
