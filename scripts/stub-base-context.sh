#!/usr/bin/env bash
# Writes into DIR the build context of a "stub base" image: a stand-in for the
# real bases of the profiles in profiles/ (python:3.12-slim, node:22-slim,
# oven/bun, debian:bookworm-slim), which no registry here can supply. Building
# each profile with `--build-arg BASE=<the stub's tag>` proves that its
# Dockerfile parses, its context packs and its steps run in order on a real
# engine, and that the result runs as `sandbox` in /home/sandbox.
#
# The image is `FROM scratch`: Debian's static busybox with its applets (so
# /bin/sh, id, chown, mkdir, ln, rm ... are real), /etc/passwd and /etc/group as
# on a Debian base (root, nobody, and the dialout group at gid 20, which the
# embedded profile adds sandbox to), and exactly the executables the profile
# Dockerfiles call that busybox lacks:
#   apt-get, pip, python3    print what they would do and exit 0; `python3 -m
#                            venv DIR` also lays DIR/bin/{python3,pip} so the
#                            venv's pip can be called after it;
#   useradd, usermod,        REALLY edit /etc/passwd and /etc/group and make or
#   groupmod                 move the home, failing like the real tools (user or
#                            uid taken, group missing, unknown option), so
#                            `USER sandbox` / `WORKDIR /home/sandbox` work and a
#                            Dockerfile mistake still breaks the build.
# Only the options the profiles use are accepted; add one here when a profile
# starts using it. There is no user with uid 1000: profiles built on a base that
# has one (node, bun) rename it, and take their else-branch (useradd) here.
# Tag it with a name no real base has, e.g. pocket-dock-test/stub-base:latest.
set -euo pipefail
out=${1:?usage: stub-base-context.sh DIR}
bb=/bin/busybox
if ! "$bb" --list >/dev/null 2>&1; then
  echo "stub-base-context: $bb is missing; install Debian's busybox-static" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/home" \
  "$root/usr/bin" "$root/usr/sbin" "$root/usr/local/bin" "$root/usr/local/lib/stub-base" \
  "$root/var/lib/apt/lists"
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\ndialout:x:20:\nusers:x:100:\nnogroup:x:65534:\n' >"$root/etc/group"
echo 'pocket-dock stub base: not a real distribution (see scripts/stub-base-context.sh)' >"$root/etc/stub-base"

# --- package managers and interpreters: announce, do nothing -----------------
# One script, called through symlinks; it tells them apart by the name it was
# called by, as busybox does.
cat >"$root/usr/local/lib/stub-base/announce" <<'STUB'
#!/bin/sh
# Stand-in for a package manager or interpreter: prints what it was asked to do
# and succeeds without doing it.
name=${0##*/}
if [ "$name" = python3 ] && [ "${1-}" = -m ] && [ "${2-}" = venv ]; then
  for dir; do :; done # the last argument: the venv's directory
  mkdir -p "$dir/bin" || exit 1
  ln -sf /usr/local/bin/python3 "$dir/bin/python3"
  ln -sf /usr/local/bin/pip "$dir/bin/pip"
fi
echo "stub-base: $name $* (not run: stub)"
STUB
chmod 755 "$root/usr/local/lib/stub-base/announce"
ln -s ../local/lib/stub-base/announce "$root/usr/bin/apt-get"
ln -s ../lib/stub-base/announce "$root/usr/local/bin/pip"
ln -s ../lib/stub-base/announce "$root/usr/local/bin/python3"

# --- user and group tools: do it for real ------------------------------------
# Exit codes are those of Debian's shadow tools: 2 bad usage, 4 uid taken,
# 6 no such user/group, 9 name taken, 12 cannot move the home.
cat >"$root/usr/sbin/useradd" <<'STUB'
#!/bin/sh
# useradd stand-in: useradd [--create-home] [--uid N] [--shell SH]
# [--groups G1,G2] NAME. Like Debian's (USERGROUPS_ENAB): also makes a group
# NAME with gid = uid when that gid is free; home /home/NAME.
set -eu
die() { echo "useradd (stub): $2" >&2; exit "$1"; }
mkhome=0 uid= shell=/bin/sh groups= name=
while [ $# -gt 0 ]; do
  case $1 in
    --create-home) mkhome=1 ;;
    --uid) uid=${2:?}; shift ;;
    --shell) shell=${2:?}; shift ;;
    --groups) groups=${2:?}; shift ;;
    -*) die 2 "unsupported option $1 (add it to scripts/stub-base-context.sh)" ;;
    *) [ -z "$name" ] || die 2 "more than one user name"; name=$1 ;;
  esac
  shift
done
[ -n "$name" ] || die 2 "no user name"
taken() { awk -F: -v k="$2" -v f="$3" '$f == k { t = 1 } END { exit !t }' "$1"; }
free_id() { # first id >= 1000 unused in field 3 of $1
  awk -F: '{ u[$3] = 1 } END { for (i = 1000; i in u; i++); print i }' "$1"
}
! taken /etc/passwd "$name" 1 || die 9 "user '$name' already exists"
! taken /etc/group "$name" 1 || die 9 "group '$name' already exists"
if [ -n "$uid" ]; then
  ! taken /etc/passwd "$uid" 3 || die 4 "UID $uid is not unique"
else
  uid=$(free_id /etc/passwd)
fi
gid=$uid
! taken /etc/group "$gid" 3 || gid=$(free_id /etc/group)
for g in $(echo "$groups" | tr , ' '); do
  taken /etc/group "$g" 1 || die 6 "group '$g' does not exist"
done
home=/home/$name
echo "$name:x:$uid:$gid::$home:$shell" >>/etc/passwd
echo "$name:x:$gid:" >>/etc/group
for g in $(echo "$groups" | tr , ' '); do
  awk -F: -v OFS=: -v g="$g" -v u="$name" \
    '$1 == g { $4 = ($4 == "" ? u : $4 "," u) } 1' /etc/group >/etc/group.new
  cat /etc/group.new >/etc/group && rm /etc/group.new
done
if [ "$mkhome" = 1 ]; then
  mkdir -p "$home"
  chown "$uid:$gid" "$home"
fi
STUB

cat >"$root/usr/sbin/usermod" <<'STUB'
#!/bin/sh
# usermod stand-in: usermod [--login NEW] [--home DIR [--move-home]]
# [--shell SH] NAME. Renames the user in /etc/passwd and in the member lists of
# /etc/group, sets home and shell, and with --move-home moves the directory.
set -eu
die() { echo "usermod (stub): $2" >&2; exit "$1"; }
login= home= move=0 shell= name=
while [ $# -gt 0 ]; do
  case $1 in
    --login) login=${2:?}; shift ;;
    --home) home=${2:?}; shift ;;
    --move-home) move=1 ;;
    --shell) shell=${2:?}; shift ;;
    -*) die 2 "unsupported option $1 (add it to scripts/stub-base-context.sh)" ;;
    *) [ -z "$name" ] || die 2 "more than one user name"; name=$1 ;;
  esac
  shift
done
[ -n "$name" ] || die 2 "no user name"
old_home=$(awk -F: -v n="$name" '$1 == n { print $6; f = 1 } END { exit !f }' /etc/passwd) ||
  die 6 "user '$name' does not exist"
if [ -n "$login" ] && [ "$login" != "$name" ]; then
  ! awk -F: -v n="$login" '$1 == n { f = 1 } END { exit !f }' /etc/passwd ||
    die 9 "user '$login' already exists"
fi
if [ "$move" = 1 ] && [ -n "$home" ] && [ "$home" != "$old_home" ] && [ -d "$old_home" ]; then
  [ ! -e "$home" ] || die 12 "directory $home exists"
  mv "$old_home" "$home"
fi
awk -F: -v OFS=: -v n="$name" -v l="$login" -v h="$home" -v s="$shell" '
  $1 == n { if (l != "") $1 = l; if (h != "") $6 = h; if (s != "") $7 = s } 1' \
  /etc/passwd >/etc/passwd.new
cat /etc/passwd.new >/etc/passwd && rm /etc/passwd.new
if [ -n "$login" ]; then
  awk -F: -v OFS=: -v n="$name" -v l="$login" '{
    k = split($4, m, ","); $4 = ""
    for (i = 1; i <= k; i++) $4 = $4 (i > 1 ? "," : "") (m[i] == n ? l : m[i])
  } 1' /etc/group >/etc/group.new
  cat /etc/group.new >/etc/group && rm /etc/group.new
fi
STUB

cat >"$root/usr/sbin/groupmod" <<'STUB'
#!/bin/sh
# groupmod stand-in: groupmod --new-name NEW NAME. Renames the group in
# /etc/group; its gid, and so its members' primary group, stays.
set -eu
die() { echo "groupmod (stub): $2" >&2; exit "$1"; }
new= name=
while [ $# -gt 0 ]; do
  case $1 in
    --new-name) new=${2:?}; shift ;;
    -*) die 2 "unsupported option $1 (add it to scripts/stub-base-context.sh)" ;;
    *) [ -z "$name" ] || die 2 "more than one group name"; name=$1 ;;
  esac
  shift
done
[ -n "$name" ] && [ -n "$new" ] || die 2 "usage: groupmod --new-name NEW NAME"
awk -F: -v n="$name" '$1 == n { f = 1 } END { exit !f }' /etc/group || die 6 "group '$name' does not exist"
! awk -F: -v n="$new" '$1 == n { f = 1 } END { exit !f }' /etc/group || die 9 "group '$new' already exists"
awk -F: -v OFS=: -v n="$name" -v w="$new" '$1 == n { $1 = w } 1' /etc/group >/etc/group.new
cat /etc/group.new >/etc/group && rm /etc/group.new
STUB
chmod 755 "$root/usr/sbin/useradd" "$root/usr/sbin/usermod" "$root/usr/sbin/groupmod"

mkdir -p "$out"
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$out/rootfs.tar" .
cat >"$out/Dockerfile" <<'DOCKERFILE'
FROM scratch
ADD rootfs.tar /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL pocket-dock-test.stub-base="true"
CMD ["/bin/sh"]
DOCKERFILE
