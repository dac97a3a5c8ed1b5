#!/usr/bin/env bash
# Create build/src/runc (or $RT_SRC/runc): a git repository whose first commit is pristine upstream (tag
# upstream-$UPSTREAM_TAG) followed by one commit per entry of patches/series (git am, no fuzz),
# and build/src/runc-pristine: a worktree of the upstream tag with no patch.
# Commits have fixed identities and dates, so the same inputs always give the same hashes.
# Refuses to destroy local work: if HEAD of build/src/runc moved or the tree is dirty since the
# last run, export it first with runc/regen-patches.sh (or remove build/src).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$RT_PIN"
need_tool git git
need_tool xz xz-utils

src_dir=${RT_SRC:-$RT_ROOT/build/src}
tree=$src_dir/runc
pristine=$src_dir/runc-pristine
stamp=$src_dir/runc.stamp
bin=$src_dir/../bin
tag=upstream-$UPSTREAM_TAG

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME="runc upstream" GIT_AUTHOR_EMAIL="dev@opencontainers.org"
export GIT_COMMITTER_NAME="runc-trace build" GIT_COMMITTER_EMAIL="build@runc-trace.invalid"
export GIT_AUTHOR_DATE=$UPSTREAM_DATE GIT_COMMITTER_DATE=$UPSTREAM_DATE

mapfile -t patches < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$RT_PATCHES/series" 2>/dev/null || true)

# Inputs that decide the tree: the pin and the bytes of every patch in order.
inputs=$( { cat "$RT_PIN"; for p in "${patches[@]}"; do echo "== $p"; cat "$RT_PATCHES/$p"; done; } | sha256sum | cut -d' ' -f1)

if [[ -d $tree/.git && -f $stamp ]]; then
	read -r old_inputs old_head <"$stamp"
	head=$(git -C "$tree" rev-parse HEAD)
	if [[ $head != "$old_head" || -n $(git -C "$tree" status --porcelain) ]]; then
		rt_die "build/src/runc has local changes or commits (HEAD $head, built $old_head); run runc/regen-patches.sh to export them to patches/, or remove build/src to discard them"
	fi
	if [[ $old_inputs == "$inputs" && -d $pristine ]]; then
		rt_log "build/src/runc up to date ($(git -C "$tree" describe --always --tags))"
		exit 0
	fi
fi

# From here on a failure must leave nothing that a later step could mistake for a good build.
rm -rf "$tree" "$pristine" "$stamp" "$bin/runc-trace" "$bin/runc-pristine"
upstream=$("$RT_ROOT/runc/fetch.sh")
mkdir -p "$tree"
if [[ -d $upstream ]]; then
	rt_log "importing checkout $upstream"
	tar -C "$upstream" --exclude=./.git --exclude=./vendor -cf - . | tar -C "$tree" -xf -
else
	rt_log "importing $upstream"
	tar -C "$tree" --strip-components=1 -xJf "$upstream"
	rm -rf "$tree/vendor"
fi
git -C "$tree" init -q -b main
git -C "$tree" config core.autocrlf false
git -C "$tree" add -A -f -- . ':(exclude)vendor'
git -C "$tree" commit -q -m "runc $UPSTREAM_VERSION (pristine upstream)" \
	-m "Imported from $ORIG_TARBALL (Debian $DEBIAN_VERSION), sha256 $ORIG_SHA256."
got=$(git -C "$tree" rev-parse 'HEAD^{tree}')
[[ $got == "$TREE_HASH" ]] || {
	rm -rf "$tree"
	rt_die "upstream tree hash mismatch: expected $TREE_HASH (runc/upstream.pin), got $got; refusing to build"
}
git -C "$tree" tag "$tag"

for p in "${patches[@]}"; do
	[[ -f $RT_PATCHES/$p ]] || rt_die "patches/series names $p but patches/$p does not exist"
	# Each patch becomes a commit with its own author and date; the committer date follows it.
	if ! git -C "$tree" am -q --committer-date-is-author-date "$RT_PATCHES/$p" >"$src_dir/am.log" 2>&1; then
		sed 's/^/    /' "$src_dir/am.log" >&2
		git -C "$tree" am --abort >/dev/null 2>&1 || true
		rm -rf "$tree"
		rt_die "patch $p does not apply to $tag (no fuzz allowed); refresh it (see REBASE_PLAN.md)"
	fi
done

git -C "$tree" worktree add -q --detach "$pristine" "$tag"
echo "$inputs $(git -C "$tree" rev-parse HEAD)" >"$stamp"
rt_log "build/src/runc: $tag + ${#patches[@]} patch(es), HEAD $(git -C "$tree" rev-parse --short=12 HEAD)"
