#!/usr/bin/env bash
# Test of `make demo` / `make demo-stop` (test/demo/demo.bats): real runc-trace, real BPF, the real
# consumer and dashboard on 127.0.0.1:7070. Needs root and `make build`; the host's only consumer.
# Prints "N passed, N failed, N skipped" last; exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
suite=test/demo
. "$root/test/lib/prepare.sh"
. "$root/test/lib/bats-summary.sh"
run_bats demo test/demo/*.bats
