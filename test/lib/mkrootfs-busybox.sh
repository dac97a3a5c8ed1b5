#!/usr/bin/env bash
# mkrootfs-busybox.sh DIR: a minimal rootfs from Debian's busybox-static, with
# every applet linked and /etc/passwd and /etc/group, for test containers.
set -euo pipefail
dir=${1:?usage: mkrootfs-busybox.sh DIR}
busybox=/bin/busybox
[ -x "$busybox" ] || { echo "mkrootfs-busybox: $busybox missing: install Debian package busybox-static" >&2; exit 1; }
tmp=$(mktemp -d "${dir%/}.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"/{bin,etc,proc,sys,dev,tmp,root}
cp "$busybox" "$tmp/bin/busybox"
for applet in $("$busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$tmp/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\nuser:x:1000:1000:user:/tmp:/bin/sh\n' >"$tmp/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\nuser:x:1000:\n' >"$tmp/etc/group"
chmod 1777 "$tmp/tmp"
rm -rf "$dir"
mv "$tmp" "$dir"
trap - EXIT
