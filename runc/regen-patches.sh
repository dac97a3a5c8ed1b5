#!/usr/bin/env bash
# Export the commits upstream-$UPSTREAM_TAG..HEAD of build/src/runc as patches/NNNN-*.patch and
# rewrite patches/series to list them in order. Output is byte-stable: applying patches/series
# with runc/prepare-tree.sh and exporting again gives identical files (test/upstream/foundation.bats, the patch round-trip test).
# Usage: regen-patches.sh [-o OUTDIR]   (default: patches/ of the repo; the tree is $RT_SRC/runc)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$RT_PIN"
need_tool git git

out=$RT_PATCHES
[[ ${1:-} == -o ]] && out=${2:?-o needs a directory}
src_dir=${RT_SRC:-$RT_ROOT/build/src}
tree=$src_dir/runc
tag=upstream-$UPSTREAM_TAG
git -C "$tree" rev-parse -q --verify "refs/tags/$tag" >/dev/null ||
	rt_die "$tree has no tag $tag; run runc/prepare-tree.sh first"
[[ -z $(git -C "$tree" status --porcelain --untracked-files=no) ]] ||
	rt_die "$tree has uncommitted changes; commit them (one commit per patch) first"

# Nothing from the user's or system's git config may change the bytes we write.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
mkdir -p "$out"
if [[ -f $out/series ]]; then
	while read -r p; do
		[[ -z $p || $p == \#* ]] || rm -f "$out/$p"
	done <"$out/series"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$tree" -c core.abbrev=12 -c diff.algorithm=myers -c diff.renames=true \
	format-patch -q --zero-commit --no-signature --no-numbered --no-thread \
	--encoding=UTF-8 -o "$tmp" "$tag..HEAD" >/dev/null
: >"$out/series.tmp"
for f in "$tmp"/*.patch; do
	[[ -e $f ]] || continue
	mv "$f" "$out/"
	basename "$f" >>"$out/series.tmp"
done
mv "$out/series.tmp" "$out/series"
# The exported commits are now the source of truth; the next build re-applies them.
[[ $out != "$RT_PATCHES" ]] || rm -f "$src_dir/runc.stamp"
rt_log "wrote $(wc -l <"$out/series") patch(es) to $out"
