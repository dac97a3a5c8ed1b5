#!/usr/bin/env bash
# Build the two root filesystems runc's bats suite expects (tests/integration/get-images.sh would
# download them from GitHub; this machine has only Debian apt) and print their paths as
# BUSYBOX_IMAGE=... / DEBIAN_IMAGE=... lines. Both are cached in $RT_CACHE/images, built once.
#   busybox: Debian's busybox-static with every applet linked, plus /etc/passwd and /etc/group
#            shaped like the docker-library busybox image the suite was written against.
#   debian:  debootstrap --variant=minbase of the release this machine runs, from its own mirror,
#            without docs, man pages and locales (like the "slim" image upstream uses).
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

out=$RT_CACHE/images
mkdir -p "$out"

busybox_image=$out/busybox-amd64.tar.xz
busybox_version=2   # bump when the recipe below changes
[[ $(cat "$busybox_image.version" 2>/dev/null) == "$busybox_version" ]] || rm -f "$busybox_image"
if [[ ! -f $busybox_image ]]; then
	need_tool busybox busybox-static
	bb=$(command -v busybox)
	file -L "$bb" | grep -q 'statically linked' || rt_die "$bb is not static; install the Debian package busybox-static"
	rt_log "building busybox rootfs"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	r=$tmp/rootfs
	# No /proc or /sys: like the docker image, so mask.bats can replace them with symlinks.
	mkdir -p "$r"/{bin,dev,etc,home,root,tmp,usr/bin,usr/sbin,sbin,var/spool/mail,var/www}
	chmod 1777 "$r/tmp"
	cp "$bb" "$r/bin/busybox"
	# The docker image keeps every applet in /bin; also link Debian's canonical paths.
	for a in $("$bb" --list); do
		[[ $a == busybox ]] || ln -sf busybox "$r/bin/$a"
	done
	for p in $("$bb" --list-full); do
		[[ -e $r/$p || -L $r/$p ]] || ln -sf /bin/busybox "$r/$p"
	done
	cat >"$r/etc/passwd" <<-'P'
	root:x:0:0:root:/root:/bin/sh
	daemon:x:1:1:daemon:/usr/sbin:/bin/false
	bin:x:2:2:bin:/bin:/bin/false
	sys:x:3:3:sys:/dev:/bin/false
	sync:x:4:100:sync:/bin:/bin/sync
	mail:x:8:8:mail:/var/spool/mail:/bin/false
	www-data:x:33:33:www-data:/var/www:/bin/false
	operator:x:37:37:Operator:/var:/bin/false
	nobody:x:65534:65534:nobody:/home:/bin/false
	P
	cat >"$r/etc/group" <<-'G'
	root:x:0:
	daemon:x:1:
	bin:x:2:
	sys:x:3:
	adm:x:4:
	tty:x:5:
	disk:x:6:
	lp:x:7:
	mail:x:8:
	kmem:x:9:
	wheel:x:10:root
	cdrom:x:11:
	dialout:x:18:
	floppy:x:19:
	video:x:28:
	audio:x:29:
	tape:x:32:
	www-data:x:33:
	operator:x:37:
	utmp:x:43:
	plugdev:x:46:
	staff:x:50:
	lock:x:54:
	netdev:x:82:
	users:x:100:
	nogroup:x:65534:
	G
	tar -C "$r" --numeric-owner --owner=0 --group=0 -cJf "$busybox_image.tmp" .
	mv "$busybox_image.tmp" "$busybox_image"
	echo "$busybox_version" >"$busybox_image.version"
	rm -rf "$tmp"; trap - EXIT
fi

debian_image=$out/debian-amd64.tar.xz
if [[ ! -f $debian_image ]]; then
	need_tool debootstrap debootstrap
	. /etc/os-release
	suite=${VERSION_CODENAME:?cannot tell the Debian release from /etc/os-release}
	uri=$("$RT_ROOT/runc/fetch.sh" --mirror)
	rt_log "debootstrap --variant=minbase $suite (slow, once; cached in $out)"
	tmp=$(mktemp -d "$out/debootstrap.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	debootstrap --variant=minbase "$suite" "$tmp/rootfs" "$uri" >"$out/debootstrap.log" 2>&1 ||
		rt_die "debootstrap failed, see $out/debootstrap.log"
	# Slim it like the debuerreotype "slim" image the suite was written against: every test that
	# uses it unpacks it, and file count is what makes that slow.
	(cd "$tmp/rootfs" && rm -rf var/cache/apt/archives/*.deb var/lib/apt/lists/* var/cache/man/* \
		usr/share/man/* usr/share/info/* usr/share/locale/* usr/share/groff/* usr/share/lintian/* \
		usr/share/linda/* && find usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete)
	tar -C "$tmp/rootfs" --numeric-owner -cf - . | xz -T0 -1 >"$debian_image.tmp"
	mv "$debian_image.tmp" "$debian_image"
	rm -rf "$tmp"; trap - EXIT
fi

echo "BUSYBOX_IMAGE=$busybox_image"
echo "DEBIAN_IMAGE=$debian_image"
