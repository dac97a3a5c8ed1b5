#!/usr/bin/env bash
# Install the Debian packages runc-trace needs to build and test. Runs `apt-get update` once, installs
# only what is missing, and leaves a stamp so that later runs cost one dpkg-query.
# Go (>= runc's go.mod directive) is expected in /usr/local/go, node/npm on PATH; both are checked.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

packages=(
	# build: runc (cgo + libseccomp), the BPF helper, the fetch
	gcc make git xz-utils pkg-config libseccomp-dev
	clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev
	curl ca-certificates file
	# runc's bats suite and its images
	bats jq gawk iproute2 util-linux bsdutils strace psmisc libcap2-bin busybox-static debootstrap
	# test/clients: real clients driving runc-trace (their runtime dependencies come with them)
	podman containerd
)

stamp=$RT_ROOT/build/stamps/deps
want=$(printf '%s\n' "${packages[@]}" | sha256sum | cut -d' ' -f1)
missing=()
for p in "${packages[@]}"; do
	[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]})); then
	[[ $EUID -eq 0 ]] || rt_die "missing packages (${missing[*]}); run 'make deps' as root"
	rt_log "deps: installing ${#missing[@]} package(s): ${missing[*]}"
	rt_log "deps: apt-get update"
	apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		-o Dpkg::Progress-Fancy=0 -o APT::Status-Fd=1 "${missing[@]}" |
		awk -F: '/^dlstatus/ { printf "==> deps: downloading %3d%%\n", $3; next }
			/^pmstatus/ { printf "==> deps: %3d%% %s\n", $3, $4; next } { print }'
else
	rt_log "deps: all ${#packages[@]} Debian packages installed"
fi

export PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || rt_die "Go not found in /usr/local/go/bin or PATH; install it from https://go.dev/dl/ (Debian 12's golang is too old for runc 1.3)"
command -v node >/dev/null || rt_die "node not found; install the Debian package nodejs (or NodeSource's nodejs)"
command -v npm >/dev/null || rt_die "npm not found; install the Debian package npm"
mkdir -p "$(dirname "$stamp")"
echo "$want" >"$stamp"
rt_log "deps: ok ($(go env GOVERSION), node $(node --version))"
