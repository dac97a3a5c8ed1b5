#!/usr/bin/env bash
# Create the two source trees under build/src (or $RT_SRC):
#   runc-pristine/  git repository with one commit: pristine upstream (tag upstream-$UPSTREAM_TAG)
#   runc/           the same first commit, then one commit per entry of patches/series (git am, no fuzz)
# Commits have fixed identities and dates, so the same inputs always give the same hashes; the
# pristine commit is identical in both. Pristine is only rebuilt when the pin changes, so work on
# patches never disturbs it. Refuses to destroy local work: if HEAD of runc/ moved or the tree is
# dirty since the last run, export it with runc/regen-patches.sh first (or remove build/src/runc).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$RT_PIN"
need_tool git git
need_tool xz xz-utils

src_dir=${RT_SRC:-$RT_ROOT/build/src}
bin=$src_dir/../bin
tree=$src_dir/runc
pristine=$src_dir/runc-pristine
tag=upstream-$UPSTREAM_TAG

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="runc upstream" GIT_AUTHOR_EMAIL="dev@opencontainers.org"
export GIT_COMMITTER_NAME="runc-trace build" GIT_COMMITTER_EMAIL="build@runc-trace.invalid"
export GIT_AUTHOR_DATE=$UPSTREAM_DATE GIT_COMMITTER_DATE=$UPSTREAM_DATE

mapfile -t patches < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$RT_PATCHES/series" 2>/dev/null || true)
pin_inputs=$(sha256sum <"$RT_PIN" | cut -d' ' -f1)
# What decides the patched tree: the pin and the bytes of every patch, in order.
inputs=$( { cat "$RT_PIN"; for p in "${patches[@]}"; do echo "== $p"; cat "$RT_PATCHES/$p" 2>/dev/null; done; } | sha256sum | cut -d' ' -f1)

upstream=""
import_upstream() { # DIR: git repo whose only commit is the verified upstream source, tagged
	local dir=$1 got
	[[ -n $upstream ]] || upstream=$("$RT_ROOT/runc/fetch.sh")
	mkdir -p "$dir"
	if [[ -d $upstream ]]; then
		tar -C "$upstream" --exclude=./.git --exclude=./vendor -cf - . | tar -C "$dir" -xf -
	else
		tar -C "$dir" --strip-components=1 -xJf "$upstream"
		rm -rf "$dir/vendor"   # Files-Excluded of Debian's +ds repack; absent from the tarball anyway
	fi
	git -C "$dir" init -q -b main
	git -C "$dir" config core.autocrlf false
	git -C "$dir" add -A -f -- . ':(exclude)vendor'
	git -C "$dir" commit -q -m "runc $UPSTREAM_VERSION (pristine upstream)" \
		-m "Imported from $ORIG_TARBALL (Debian $DEBIAN_VERSION), sha256 $ORIG_SHA256."
	got=$(git -C "$dir" rev-parse 'HEAD^{tree}')
	if [[ $got != "$TREE_HASH" ]]; then
		rm -rf "$dir"
		rt_die "upstream tree hash mismatch: expected $TREE_HASH (runc/upstream.pin), got $got; refusing to build"
	fi
	git -C "$dir" tag "$tag"
}

# --- pristine ----------------------------------------------------------------------------------
if [[ -d $pristine/.git && $(cat "$pristine.stamp" 2>/dev/null) == "$pin_inputs" ]]; then
	rt_log "build/src/runc-pristine up to date ($tag)"
else
	# From here on a failure must leave nothing that a later step could mistake for a good build.
	rm -rf "$pristine" "$pristine.stamp" "$bin/runc-pristine"
	rt_log "build/src/runc-pristine: importing $tag"
	import_upstream "$pristine"
	echo "$pin_inputs" >"$pristine.stamp"
fi

# --- patched -----------------------------------------------------------------------------------
stamp=$tree.stamp
if [[ -d $tree/.git && -f $stamp ]]; then
	read -r old_inputs old_head <"$stamp"
	head=$(git -C "$tree" rev-parse HEAD)
	if [[ $head != "$old_head" || -n $(git -C "$tree" status --porcelain) ]]; then
		rt_die "build/src/runc has local changes or commits (HEAD $head, built $old_head); run runc/regen-patches.sh to export them to patches/, or remove build/src/runc to discard them"
	fi
	if [[ $old_inputs == "$inputs" ]]; then
		rt_log "build/src/runc up to date ($tag + ${#patches[@]} patch(es))"
		exit 0
	fi
fi

rm -rf "$tree" "$stamp" "$bin/runc-trace"
import_upstream "$tree"
for p in "${patches[@]}"; do
	if [[ ! -f $RT_PATCHES/$p ]]; then
		rm -rf "$tree"
		rt_die "patches/series names $p but patches/$p does not exist"
	fi
	# Each patch becomes a commit with its own author and date; the committer date follows it.
	if ! git -C "$tree" am -q --committer-date-is-author-date "$RT_PATCHES/$p" >"$src_dir/am.log" 2>&1; then
		sed 's/^/    /' "$src_dir/am.log" >&2
		rm -rf "$tree"
		rt_die "patch $p does not apply to $tag (no fuzz allowed); refresh it (see REBASE_PLAN.md)"
	fi
done
echo "$inputs $(git -C "$tree" rev-parse HEAD)" >"$stamp"
rt_log "build/src/runc: $tag + ${#patches[@]} patch(es), HEAD $(git -C "$tree" rev-parse --short=12 HEAD)"
