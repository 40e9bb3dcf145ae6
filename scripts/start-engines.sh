#!/usr/bin/env bash
# Installs (Debian, as root) and starts what pocket-dock's tests need: the Docker
# engine, Podman with its API service, and busybox-static for the offline test image.
# Idempotent: safe to run when everything is already up.
set -euo pipefail

need=()
command -v dockerd >/dev/null || need+=(docker.io)
command -v podman >/dev/null || need+=(podman)
command -v catatonit >/dev/null || [ -x /usr/libexec/podman/catatonit ] || need+=(catatonit)
dpkg -s busybox-static >/dev/null 2>&1 || need+=(busybox-static)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "pocket-dock: missing ${need[*]}; install them (Debian: apt-get install ${need[*]}) and re-run." >&2
    exit 1
  fi
  echo "pocket-dock: installing ${need[*]} ..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Podman on these VMs needs default_ulimits = [] or every container fails with
# "error setting rlimit type 7" (see docs/engines.md).
export CONTAINERS_CONF=/etc/containers/pocket-dock.conf
if [ ! -f "$CONTAINERS_CONF" ]; then
  mkdir -p /etc/containers
  printf '[containers]\ndefault_ulimits = []\n' > "$CONTAINERS_CONF"
fi

ping_sock() { curl -s --max-time 2 --unix-socket "$1" http://d/_ping 2>/dev/null | grep -q OK; }

if ! ping_sock /var/run/docker.sock; then
  echo "pocket-dock: starting dockerd ..."
  nohup dockerd >/var/log/pocket-dock-dockerd.log 2>&1 &
fi
if ! ping_sock /run/podman/podman.sock; then
  echo "pocket-dock: starting the Podman API service ..."
  mkdir -p /run/podman
  nohup env CONTAINERS_CONF="$CONTAINERS_CONF" podman system service --time=0 unix:///run/podman/podman.sock \
    >/var/log/pocket-dock-podman.log 2>&1 &
fi
for sock in /var/run/docker.sock /run/podman/podman.sock; do
  for _ in $(seq 1 60); do ping_sock "$sock" && break; sleep 0.5; done
  ping_sock "$sock" || { echo "pocket-dock: $sock does not answer" >&2; exit 1; }
done
echo "pocket-dock: Docker and Podman are up."
