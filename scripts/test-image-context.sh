#!/usr/bin/env bash
# Writes the build context of pocket-dock's offline test image into DIR: a
# Dockerfile and rootfs.tar holding Debian's static busybox with its applets,
# /etc/passwd and /etc/group (root and a `sandbox` user), /tmp and /home/sandbox.
# No registry is needed: the image is `FROM scratch`.
set -euo pipefail
out=${1:?usage: test-image-context.sh DIR}
bb=/bin/busybox
if ! "$bb" --list >/dev/null 2>&1; then
  echo "test-image-context: $bb is missing; install Debian's busybox-static" >&2
  exit 1
fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/home/sandbox" "$root/root"
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nsandbox:x:1000:1000:sandbox:/home/sandbox:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nsandbox:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
mkdir -p "$out"
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$out/rootfs.tar" .
# Appended again with the sandbox user's ownership: the later entry wins.
tar -C "$root" --numeric-owner --owner=1000 --group=1000 --no-recursion -rf "$out/rootfs.tar" ./home/sandbox
cat >"$out/Dockerfile" <<'DOCKERFILE'
FROM scratch
ADD rootfs.tar /
ENV PATH=/bin HOME=/root
WORKDIR /home/sandbox
CMD ["/bin/sh"]
DOCKERFILE
