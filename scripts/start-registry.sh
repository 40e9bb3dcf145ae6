#!/usr/bin/env bash
# Starts two local image registries for pocket-dock's pull/push tests, in the
# background, from Debian's docker-registry (installed as root if missing, with
# apache2-utils for htpasswd):
#   127.0.0.1:5000  plain HTTP, no auth
#   127.0.0.1:5001  plain HTTP, htpasswd auth: user pd-user, password pd-pass
# Each has its own config, storage, log and pid file under the state dir
# (default /tmp/pocket-dock-registry, override with POCKET_DOCK_REGISTRY_DIR).
# Docker treats 127.0.0.0/8 as an insecure registry by itself; Podman needs
# tlsVerify=false (see docs/engines.md).
# Idempotent: safe to run when both are already up.
# `start-registry.sh stop` stops both and removes the state dir.
set -euo pipefail

state=${POCKET_DOCK_REGISTRY_DIR:-/tmp/pocket-dock-registry}
user=pd-user
pass=pd-pass
names=(plain auth)
declare -A port=([plain]=5000 [auth]=5001)
# What `GET /v2/` answers when the registry is up: the auth one refuses anonymous callers.
declare -A ready=([plain]=200 [auth]=401)

# Prints the pid of a registry started by this script, if it still runs.
running_pid() {
  local f="$state/$1/pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

status_of() { curl -s -o /dev/null --max-time 2 -w '%{http_code}' "http://127.0.0.1:${port[$1]}/v2/" 2>/dev/null || true; }

if [ "${1:-start}" = stop ]; then
  for n in "${names[@]}"; do
    if pid=$(running_pid "$n"); then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  # Guard the rm: never a root-level or empty path.
  case "$state" in "" | / | /tmp | /tmp/) echo "pocket-dock: refusing to remove '$state'" >&2; exit 1 ;; esac
  rm -rf "$state"
  echo "pocket-dock: registries stopped, $state removed."
  exit 0
fi
if [ "${1:-start}" != start ]; then
  echo "usage: start-registry.sh [start|stop]" >&2
  exit 2
fi

need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "pocket-dock: missing ${need[*]}; install them (Debian: apt-get install ${need[*]}) and re-run." >&2
    exit 1
  fi
  echo "pocket-dock: installing ${need[*]} ..."
  # The package's own service would listen on :5000 where an init system starts
  # it: a temporary policy-rc.d keeps it stopped (unless the machine has one already).
  own_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null || {
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
    exit 1
  }
  [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
fi

for n in "${names[@]}"; do
  dir="$state/$n"
  running_pid "$n" >/dev/null && continue
  # Something else answering on the port would pass the readiness check below.
  if [ "$(status_of "$n")" != 000 ]; then
    echo "pocket-dock: 127.0.0.1:${port[$n]} is already in use by something not started from $state" >&2
    exit 1
  fi
  mkdir -p "$dir/data"
  auth=
  if [ "$n" = auth ]; then
    # The registry reads only bcrypt entries.
    htpasswd -Bbn "$user" "$pass" >"$dir/htpasswd"
    auth="auth: { htpasswd: { realm: pocket-dock, path: $dir/htpasswd } }"
  fi
  cat >"$dir/config.yml" <<EOF
version: 0.1
log: { level: warn }
storage: { filesystem: { rootdirectory: $dir/data }, delete: { enabled: true } }
http: { addr: 127.0.0.1:${port[$n]} }
$auth
EOF
  nohup docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  echo $! >"$dir/pid"
done

for n in "${names[@]}"; do
  for _ in $(seq 1 100); do
    [ "$(status_of "$n")" = "${ready[$n]}" ] && break
    running_pid "$n" >/dev/null || break # it exited: a bad config or a port taken meanwhile
    sleep 0.1
  done
  if ! running_pid "$n" >/dev/null || [ "$(status_of "$n")" != "${ready[$n]}" ]; then
    echo "pocket-dock: the $n registry on 127.0.0.1:${port[$n]} does not answer; its log:" >&2
    tail -n 20 "$state/$n/registry.log" >&2 || true
    exit 1
  fi
done
echo "pocket-dock: registries up: 127.0.0.1:5000 (no auth), 127.0.0.1:5001 ($user/$pass), state in $state."
