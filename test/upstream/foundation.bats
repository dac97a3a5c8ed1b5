#!/usr/bin/env bats
# The fork's foundation: pinned fetch, patch application, tool checks, patch round trip, version
# identification, the traced wrapper. Bad inputs go through RT_PIN / RT_PATCHES / RT_SRC /
# RT_CACHE / RUNC_TRACE_UPSTREAM into scratch directories; the real build/ is never touched.

setup() {
	ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
	. "$ROOT/runc/upstream.pin"
	TARBALL=$(RT_ROOT=$ROOT "$ROOT/runc/fetch.sh")
	T=$BATS_TEST_TMPDIR
	export RT_SRC=$T/build/src
}

@test "the pinned tarball is fetched and verified" {
	run "$ROOT/runc/fetch.sh"
	[ "$status" -eq 0 ]
	[ "$(sha256sum "$output" | cut -d' ' -f1)" = "$ORIG_SHA256" ]
}

@test "a tarball with the wrong sha256 is rejected naming both hashes, nothing is built" {
	cp "$TARBALL" "$T/bad.tar.xz"
	printf 'x' >>"$T/bad.tar.xz"
	bad=$(sha256sum "$T/bad.tar.xz" | cut -d' ' -f1)
	RUNC_TRACE_UPSTREAM=$T/bad.tar.xz run "$ROOT/runc/prepare-tree.sh"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"$ORIG_SHA256"* ]]
	[[ $output == *"$bad"* ]]
	[ ! -e "$RT_SRC/runc" ]
	[ ! -e "$T/build/bin/runc-trace" ]
}

@test "a checkout of the tag (with .git and vendor/) is accepted by tree hash" {
	mkdir "$T/co"
	tar -C "$T/co" --strip-components=1 -xJf "$TARBALL"
	mkdir -p "$T/co/vendor/example.com/x" && echo junk >"$T/co/vendor/example.com/x/x.go"
	git -C "$T/co" init -q
	RUNC_TRACE_UPSTREAM=$T/co run "$ROOT/runc/fetch.sh"
	[ "$status" -eq 0 ]
	[ "$output" = "$T/co" ]
}

@test "a modified checkout is rejected naming both tree hashes" {
	mkdir "$T/co"
	tar -C "$T/co" --strip-components=1 -xJf "$TARBALL"
	echo "// local change" >>"$T/co/main.go"
	RUNC_TRACE_UPSTREAM=$T/co run "$ROOT/runc/prepare-tree.sh"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"tree hash mismatch"*"$TREE_HASH"* ]]
	[[ $output == *"got $("$ROOT/runc/tree-hash.sh" "$T/co")"* ]]
	[ ! -e "$RT_SRC/runc" ]
}

@test "a version that is no longer fetchable says so and points to REBASE_PLAN.md" {
	sed 's/^DEBIAN_VERSION=.*/DEBIAN_VERSION=0.0.0+ds1-1/; s/^ORIG_TARBALL=.*/ORIG_TARBALL=runc_0.0.0+ds1.orig.tar.xz/' \
		"$ROOT/runc/upstream.pin" >"$T/pin"
	RT_PIN=$T/pin RT_CACHE=$T/cache run "$ROOT/runc/fetch.sh"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"runc 0.0.0+ds1-1 is no longer fetchable"* ]]
	[[ $output == *"REBASE_PLAN.md"* ]]
}

@test "a patch that does not apply stops the build naming the patch" {
	mkdir "$T/patches"
	cp "$ROOT"/patches/*.patch "$ROOT/patches/series" "$T/patches/"
	cat >"$T/patches/9999-does-not-apply.patch" <<-'P'
	From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
	From: Test <test@example.invalid>
	Date: Thu, 1 Jan 2026 00:00:00 +0000
	Subject: [PATCH] touch a line that is not there

	---
	 main.go | 2 +-
	 1 file changed, 1 insertion(+), 1 deletion(-)

	diff --git a/main.go b/main.go
	--- a/main.go
	+++ b/main.go
	@@ -1,3 +1,3 @@
	 package main
	-this line is not in main.go
	+neither is this one
	 import (
	P
	echo 9999-does-not-apply.patch >>"$T/patches/series"
	RT_PATCHES=$T/patches run "$ROOT/runc/prepare-tree.sh"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"patch 9999-does-not-apply.patch does not apply"* ]]
	[ ! -e "$RT_SRC/runc" ]
}

@test "a missing tool names its Debian package" {
	# A PATH with everything the system has, except xz.
	mkdir "$T/path"
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		for f in "$d"/*; do
			n=$(basename "$f")
			[ "$n" = xz ] || [ -e "$T/path/$n" ] || ln -s "$f" "$T/path/$n"
		done
	done
	PATH=$T/path run "$ROOT/runc/prepare-tree.sh"
	echo "$output"
	[ "$status" -ne 0 ]
	[[ $output == *"'xz' not found"*"Debian package 'xz-utils'"* ]]
}

@test "patches round-trip byte-identically: patches -> commits -> patches" {
	run "$ROOT/runc/prepare-tree.sh"
	[ "$status" -eq 0 ]
	mkdir "$T/out"
	run "$ROOT/runc/regen-patches.sh" -o "$T/out"
	[ "$status" -eq 0 ]
	# If this fails, a patch was not produced by runc/regen-patches.sh: regenerate patches/.
	diff -r "$ROOT/patches" "$T/out"
}

@test "the build tree is reproducible: same inputs give the same commits" {
	"$ROOT/runc/prepare-tree.sh"
	a=$(git -C "$RT_SRC/runc" rev-parse HEAD upstream-$UPSTREAM_TAG)
	rm -rf "$RT_SRC"
	"$ROOT/runc/prepare-tree.sh"
	b=$(git -C "$RT_SRC/runc" rev-parse HEAD upstream-$UPSTREAM_TAG)
	[ "$a" = "$b" ]
	[ "$(git -C "$RT_SRC/runc" rev-parse "upstream-$UPSTREAM_TAG^{tree}")" = "$TREE_HASH" ]
}

@test "build/src/runc with local commits is not thrown away" {
	"$ROOT/runc/prepare-tree.sh"
	git -C "$RT_SRC/runc" -c user.name=t -c user.email=t@t commit -q --allow-empty -m wip
	run "$ROOT/runc/prepare-tree.sh"
	[ "$status" -ne 0 ]
	[[ $output == *"regen-patches.sh"* ]]
	git -C "$RT_SRC/runc" log -1 --format=%s | grep -qx wip
}

@test "runc-trace --version names upstream version, fork version and every patch in series order" {
	run "$ROOT/build/bin/runc-trace" --version
	[ "$status" -eq 0 ]
	[[ ${lines[0]} == "runc version $UPSTREAM_VERSION" ]]
	[[ $output == *"upstream: runc $UPSTREAM_VERSION"* ]]
	[[ $output == *"fork: runc-trace $(cat "$ROOT/runc/FORK_VERSION")"* ]]
	want=$(grep -v '^#' "$ROOT/patches/series" | sed 's/^/patch: /')
	[ "$(grep '^patch: ' <<<"$output")" = "$want" ]
	# pristine stays byte-for-byte upstream
	run "$ROOT/build/bin/runc-pristine" --version
	[[ $output != *"runc-trace"* ]]
}

@test "runc-trace runs a busybox container" {
	eval "$("$ROOT/test/upstream/images.sh")"
	mkdir -p "$T/b/rootfs"
	tar -C "$T/b/rootfs" -xf "$BUSYBOX_IMAGE"
	cd "$T/b"
	"$ROOT/build/bin/runc-trace" spec
	jq '.process.terminal = false | .process.args = ["sh", "-c", "echo hello from busybox"]' config.json >c && mv c config.json
	run "$ROOT/build/bin/runc-trace" --root "$T/state" run "rt-foundation-$$"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$output" = "hello from busybox" ]
}

@test "runc-traced adds io.trace.enabled to the bundle for create/run only, then execs runc-trace" {
	mkdir -p "$T/b1" "$T/b2"
	echo '{"ociVersion":"1.2.0"}' >"$T/b1/config.json"
	echo '{"ociVersion":"1.2.0"}' >"$T/b2/config.json"
	printf '#!/bin/sh\necho "args: $*"\n' >"$T/fake-runc" && chmod +x "$T/fake-runc"
	export RUNC_TRACE_BIN=$T/fake-runc
	run "$ROOT/test/upstream/runc-traced" --root /x --log-format json run -d --bundle "$T/b1" ct1
	[ "$output" = "args: --root /x --log-format json run -d --bundle $T/b1 ct1" ]
	[ "$(jq -r '.annotations["io.trace.enabled"]' "$T/b1/config.json")" = true ]
	cd "$T/b2"
	run "$ROOT/test/upstream/runc-traced" create ct2
	[ "$(jq -r '.annotations["io.trace.enabled"]' "$T/b2/config.json")" = true ]
	echo '{"ociVersion":"1.2.0"}' >"$T/b2/config.json"
	run "$ROOT/test/upstream/runc-traced" exec ct2 true
	[ "$(jq -r '.annotations' "$T/b2/config.json")" = null ]
}
