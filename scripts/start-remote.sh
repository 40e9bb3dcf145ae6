#!/usr/bin/env bash
# Remote engines on this machine, for pocket-dock's remote tests and bench:
# the real engine sockets exposed on loopback ports the way a remote engine is
# (see docs/remote.md).
#   start-remote.sh install      installs socat and openssh-server (as root) if missing
#   start-remote.sh start DIR    makes a CA and certificates with openssl, then starts
#                                 - a TLS front (socat, client certificates required)
#                                   for Docker's socket, and one for Podman's if it exists
#                                 - sshd on a loopback port, with its own host key,
#                                   config and authorized key (root only)
#                                and writes DIR/env.json with the ports and file paths
#   start-remote.sh stop DIR     stops what `start DIR` started and removes DIR
# The far side of SSH is this machine: `docker system dial-stdio` runs the
# docker CLI on PATH. Nothing outside DIR is changed besides /run/sshd (sshd's
# privilege-separation directory).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
docker_sock=${DOCKER_SOCK:-/var/run/docker.sock}
podman_sock=${PODMAN_SOCK:-/run/podman/podman.sock}

usage() { echo "usage: start-remote.sh install | start DIR | stop DIR" >&2; exit 2; }

free_port() {
  node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

wait_port() {
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "pocket-dock: nothing listens on 127.0.0.1:$1" >&2
  return 1
}

case "$cmd" in
  install)
    need=()
    command -v socat >/dev/null || need+=(socat)
    [ -x /usr/sbin/sshd ] || need+=(openssh-server)
    command -v ssh >/dev/null || need+=(openssh-client)
    command -v openssl >/dev/null || need+=(openssl)
    if [ ${#need[@]} -gt 0 ]; then
      if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "pocket-dock: missing ${need[*]}; install them (Debian: apt-get install ${need[*]})." >&2
        exit 1
      fi
      DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null ||
        { apt-get update >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null; }
    fi
    echo "pocket-dock: socat, sshd, ssh and openssl are installed."
    ;;

  start)
    [ -n "$dir" ] || usage
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    cd "$dir"
    # A CA, a server certificate for 127.0.0.1 only (so `localhost` fails the
    # name check), a client certificate, and a second CA that signed nothing.
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pd-test-ca \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=pd-wrong-ca \
      -keyout wrong-ca-key.pem -out wrong-ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server-key.pem -out server.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile server.ext -out server-cert.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj /CN=pd-client -keyout key.pem -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
      -extfile client.ext -out cert.pem 2>/dev/null
    cp cert.pem client-cert.pem

    tls_front() { # name socket
      local port
      port=$(free_port)
      socat "OPENSSL-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork,cert=server-cert.pem,key=server-key.pem,cafile=ca.pem,verify=1" \
        "UNIX-CONNECT:$2" >"socat-$1.log" 2>&1 &
      echo $! >"socat-$1.pid"
      wait_port "$port"
      echo "$port"
    }
    tls_docker=$(tls_front docker "$docker_sock")
    tls_podman=null
    [ -S "$podman_sock" ] && tls_podman=$(tls_front podman "$podman_sock")

    # sshd with its own host key and authorized key; only root may log in.
    ssh-keygen -q -t ed25519 -N '' -f host_key
    ssh-keygen -q -t ed25519 -N '' -f id_ed25519
    ssh-keygen -q -t ed25519 -N '' -f wrong_id
    cp id_ed25519.pub authorized_keys
    chmod 600 authorized_keys
    ssh_port=$(free_port)
    cat >sshd_config <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
AllowUsers root
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxStartups 100:30:200
MaxSessions 100
EOF
    mkdir -p /run/sshd
    /usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
    wait_port "$ssh_port"
    echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 host_key.pub)" >known_hosts
    for which in id_ed25519 wrong_id; do
      cat >"ssh_config.$which" <<EOF
Host *
  IdentityFile $dir/$which
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
EOF
    done
    cp ssh_config.id_ed25519 ssh_config

    cat >env.json <<EOF
{
  "dir": "$dir",
  "tlsDocker": $tls_docker,
  "tlsPodman": $tls_podman,
  "sshPort": $ssh_port,
  "sshCommand": "ssh -F $dir/ssh_config",
  "sshCommandWrongKey": "ssh -F $dir/ssh_config.wrong_id"
}
EOF
    echo "pocket-dock: TLS fronts on 127.0.0.1:$tls_docker (docker), $tls_podman (podman); sshd on 127.0.0.1:$ssh_port; see $dir/env.json"
    ;;

  stop)
    [ -n "$dir" ] || usage
    [ -d "$dir" ] || exit 0
    for f in "$dir"/socat-*.pid "$dir"/sshd.pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
    done
    case "$dir" in "" | / | /tmp | /tmp/) echo "pocket-dock: refusing to remove '$dir'" >&2; exit 1 ;; esac
    rm -rf "$dir"
    ;;

  *) usage ;;
esac
