#!/usr/bin/env bash
# Integration tests of runc-trace: real runc-trace, real BPF in the running
# kernel, the real consumer, containers from a busybox-static rootfs.
# Prints "N passed, N failed, N skipped" last; exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
suite=test/integration
. "$root/test/lib/prepare.sh"
. "$root/test/lib/bats-summary.sh"
run_bats integration test/integration/*.bats
