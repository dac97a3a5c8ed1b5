#!/usr/bin/env bash
# Hostile-container and fault tests (test/hostile/*.bats): real runc-trace,
# real BPF, the real consumer. SOAK=1 (make soak) runs the long settings.
# Prints "N passed, N failed, N skipped" last; exits non-zero on a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
suite=test/hostile
. "$root/test/lib/prepare.sh"
. "$root/test/lib/bats-summary.sh"
gcc -O2 -static -pthread -o build/test/hostile test/hostile/hostile.c
run_bats hostile --timing test/hostile/*.bats
