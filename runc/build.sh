#!/usr/bin/env bash
# Build build/bin/runc-pristine (upstream tag, no patch) and build/bin/runc-trace (tag + patches/series)
# the same way, plus runc's test helper binaries for each tree (tests/cmd/_bin, where the bats suite
# looks for them). Flags follow runc's own Makefile: -trimpath, tags "seccomp urfave_cli_no_docs",
# CGO with libseccomp, -X main.gitCommit. Dependencies come from runc's go.mod/go.sum through the
# Go module proxy (the +ds tarball has no vendor/, hence -mod=mod).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$RT_PIN"

export PATH=$PATH:/usr/local/go/bin
need_tool go golang   # the Debian 12 golang is too old for runc 1.3; install Go from go.dev into /usr/local/go
need_tool gcc gcc
need_tool pkg-config pkg-config
pkg-config --exists libseccomp || rt_die "libseccomp not found by pkg-config; install the Debian package libseccomp-dev"

src_dir=${RT_SRC:-$RT_ROOT/build/src}
bin=$src_dir/../bin
tree=$src_dir/runc
pristine=$src_dir/runc-pristine
mkdir -p "$bin"

# runc's go.mod states the oldest Go it builds with; never let go silently download another one.
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=1
need=$(awk '$1=="go"{print $2; exit}' "$tree/go.mod")
have=$(go env GOVERSION); have=${have#go}
if [[ $(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1) != "$need" ]]; then
	rt_die "Go $have is older than the go $need that runc's go.mod requires; install Go >= $need (https://go.dev/dl/) in /usr/local/go"
fi

tags="seccomp urfave_cli_no_docs"
testbins=(recvtty sd-helper seccompagent fs-idmap pidfd-kill remap-rootfs)

build_tree() { # DIR OUTPUT LDFLAGS
	local dir=$1 out=$2 ldflags=$3 t
	rt_log "go build $(basename "$out") (from ${dir#"$RT_ROOT"/})"
	# Build beside and rename: a suite running the old binary never sees a half-written file.
	(cd "$dir" && go build -trimpath -buildvcs=false -tags "$tags" -ldflags "$ldflags" -o "$out.tmp" .)
	mv -f "$out.tmp" "$out"
	mkdir -p "$dir/tests/cmd/_bin"
	for t in "${testbins[@]}"; do
		(cd "$dir" && go build -trimpath -buildvcs=false -tags "$tags" -ldflags "$ldflags" -o "tests/cmd/_bin/$t.tmp" "./tests/cmd/$t")
		mv -f "$dir/tests/cmd/_bin/$t.tmp" "$dir/tests/cmd/_bin/$t"
	done
}

mapfile -t patches < <(grep -v -e '^[[:space:]]*#' -e '^[[:space:]]*$' "$RT_PATCHES/series" 2>/dev/null || true)
patch_list=$(IFS=,; echo "${patches[*]}")
fork_version=$(tr -d '[:space:]' <"$RT_ROOT/runc/FORK_VERSION")

# Pristine only changes with the pin (runc/prepare-tree.sh removes the binary then).
if [[ -x $bin/runc-pristine && $bin/runc-pristine -nt $pristine.stamp && -x $pristine/tests/cmd/_bin/remap-rootfs ]]; then
	rt_log "runc-pristine up to date"
else
	build_tree "$pristine" "$bin/runc-pristine" \
		"-X main.gitCommit=$(git -C "$pristine" rev-parse HEAD)"
fi
build_tree "$tree" "$bin/runc-trace" \
	"-X main.gitCommit=$(git -C "$tree" rev-parse HEAD) -X main.traceForkVersion=$fork_version -X main.tracePatches=$patch_list"
"$bin/runc-trace" --version >&2
