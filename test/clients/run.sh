#!/usr/bin/env bash
# Client tests of runc-trace: podman and containerd (ctr), as Debian 12 ships
# them, run traced containers through build/bin/runc-trace with the real
# consumer and real BPF; images come from local tarballs, no registry.
# Prints "N passed, N failed, N skipped" last; exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
suite=test/clients
. "$root/test/lib/prepare.sh"
. "$root/test/lib/bats-summary.sh"
for tool in podman:podman ctr:containerd containerd:containerd; do
	command -v "${tool%%:*}" >/dev/null || {
		echo "$suite: ${tool%%:*} not found: install the Debian package ${tool#*:} (scripts/deps.sh)" >&2
		exit 1
	}
done
run_bats clients test/clients/*.bats
