# Shared helpers for runc-trace scripts. Source it; it does not change shell options.

RT_ROOT=${RT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
RT_CACHE=${RT_CACHE:-/var/cache/runc-trace}

rt_log() { printf '==> %s\n' "$*" >&2; }
rt_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# need_tool COMMAND DEBIAN_PACKAGE: fail naming the package that provides a missing command.
need_tool() {
	command -v "$1" >/dev/null 2>&1 ||
		rt_die "required tool '$1' not found; install the Debian package '$2' (apt-get install $2, or run 'make deps')"
}

# Inputs, overridable so that test/upstream/foundation.bats can feed bad ones.
RT_PIN=${RT_PIN:-$RT_ROOT/runc/upstream.pin}
RT_PATCHES=${RT_PATCHES:-$RT_ROOT/patches}
