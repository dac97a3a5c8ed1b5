#!/usr/bin/env bash
# Print the git tree hash of a runc source directory (an unpacked orig tarball or a checkout of the
# upstream tag), computed the same way for both: every file except .git/, vendor/ (Debian's +ds
# repack removes it: Files-Excluded: vendor in debian/copyright) is added to a throw-away index and
# `git write-tree` names the result. Timestamps and ownership do not count; content, names, the
# executable bit and symlinks do. runc/prepare-tree.sh commits exactly this tree as upstream.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
need_tool git git
dir=${1:?usage: tree-hash.sh DIR}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git init -q --bare "$tmp/git"
export GIT_DIR=$tmp/git GIT_WORK_TREE=$dir
git config core.autocrlf false
git config core.filemode true
git config core.symlinks true
# -f: upstream may track files its own .gitignore matches; they are part of the release.
git add -A -f -- . ':(exclude)vendor' ':(exclude).git'
git write-tree
