#!/usr/bin/env bash
# Print the path of the verified pristine runc source (a tarball) on stdout.
#
# Default: download the Debian source package named in runc/upstream.pin with `apt-get source`
# through private apt state (the system's apt configuration is neither read for lists nor changed),
# verify the orig tarball's sha256, cache it in $RT_CACHE.
# Override: RUNC_TRACE_UPSTREAM=<tarball | checkout of the upstream tag> skips the download; a
# tarball must match ORIG_SHA256, a checkout must match TREE_HASH (see runc/tree-hash.sh).
# For a checkout the path of the directory is printed instead.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$RT_PIN"

verify_tarball() { # FILE
	local got
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[[ $got == "$ORIG_SHA256" ]] ||
		rt_die "sha256 mismatch for $1: expected $ORIG_SHA256 (runc/upstream.pin), got $got; refusing to build"
}

# The mirror is whatever this machine already uses for bookworm; the repo never names a host.
mirror_uri() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -e $f ]] || continue
		# deb822: stanzas separated by blank lines; pick the first URI of a stanza listing bookworm.
		uri=$(awk 'BEGIN{RS=""; FS="\n"}
			{ u=""; s=0
			  for (i=1;i<=NF;i++) {
			    if ($i ~ /^URIs:/)   { split($i, a, /[ \t]+/); u=a[2] }
			    if ($i ~ /^Suites:/) { n=split($i, b, /[ \t]+/); for (j=2;j<=n;j++) if (b[j]=="bookworm") s=1 }
			  }
			  if (s && u!="") { print u; exit } }' "$f")
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	if [[ -f /etc/apt/sources.list ]]; then
		uri=$(awk '$1=="deb" { i=2; if ($2 ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
			if ($(i+1)=="bookworm") { print $i; exit } }' /etc/apt/sources.list)
		[[ -n $uri ]] && { echo "$uri"; return; }
	fi
	rt_die "no apt source for bookworm found in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list; cannot derive a Debian mirror (set RUNC_TRACE_UPSTREAM to a local tarball instead)"
}

if [[ ${1:-} == --mirror ]]; then   # used by test/upstream/images.sh
	mirror_uri
	exit 0
fi

if [[ -n ${RUNC_TRACE_UPSTREAM:-} ]]; then
	src=$RUNC_TRACE_UPSTREAM
	if [[ -d $src ]]; then
		got=$("$RT_ROOT/runc/tree-hash.sh" "$src")
		[[ $got == "$TREE_HASH" ]] ||
			rt_die "tree hash mismatch for checkout $src: expected $TREE_HASH (runc/upstream.pin), got $got; refusing to build"
		cd "$src" && pwd
		exit 0
	fi
	[[ -f $src ]] || rt_die "RUNC_TRACE_UPSTREAM=$src is neither a file nor a directory"
	verify_tarball "$src"
	readlink -f "$src"
	exit 0
fi

cached=$RT_CACHE/$ORIG_TARBALL
if [[ -f $cached ]]; then
	verify_tarball "$cached"   # every use re-verifies; a corrupted cache is an error, not a refetch
	echo "$cached"
	exit 0
fi

need_tool apt-get apt
need_tool sha256sum coreutils
uri=$(mirror_uri)
D=$RT_CACHE/apt
mkdir -p "$D/lists/partial" "$D/cache/archives/partial" "$RT_CACHE/dl"
printf 'deb-src %s trixie main\ndeb-src %s sid main\n' "$uri" "$uri" >"$D/sources.list"
A=(-o "Dir::Etc::SourceList=$D/sources.list" -o Dir::Etc::SourceParts=/dev/null
	-o "Dir::State::Lists=$D/lists" -o "Dir::Cache=$D/cache")
rt_log "fetching Debian source runc=$DEBIAN_VERSION from $uri (trixie, sid)"
apt-get "${A[@]}" -q update >&2 || rt_die "apt-get update of the private source lists failed"
if ! (cd "$RT_CACHE/dl" && apt-get "${A[@]}" -q source --download-only "runc=$DEBIAN_VERSION" >&2); then
	rt_die "runc $DEBIAN_VERSION is no longer fetchable from $uri (trixie/sid dropped it?). Either point RUNC_TRACE_UPSTREAM at a copy of $ORIG_TARBALL (sha256 $ORIG_SHA256) or a checkout of $UPSTREAM_TAG, or move the fork to a current release: see REBASE_PLAN.md"
fi
verify_tarball "$RT_CACHE/dl/$ORIG_TARBALL"
mv "$RT_CACHE/dl/$ORIG_TARBALL" "$cached"
echo "$cached"
