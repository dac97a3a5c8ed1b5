#!/usr/bin/env bash
# End-to-end test of the live dashboard: real runc-trace, real BPF, the real consumer with
# --listen, Debian's chromium driven by playwright-core. Needs root and `make build`.
# Screenshots go to test/artifacts/. Prints "N passed, N failed" last.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
suite=test/e2e
. "$root/test/lib/prepare.sh"
if [ ! -x /usr/bin/chromium ]; then
	echo "test/e2e: installing chromium (apt)"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
[ -d ui/node_modules/playwright-core ] || (cd ui && npm ci --no-audit --no-fund --loglevel=error)
[ -f build/ui/index.html ] || ui/build.sh
mkdir -p test/artifacts
# Every consumer drains every traced container of the host: two at once split the records between
# their files (and break each other's tests). Wait for another one (e.g. test/integration) to end.
for _ in $(seq 120); do
	others=$(pgrep -af 'consumer/dist/main\.js' | grep -v -- '--state-dir' || true)
	[ -z "$others" ] && break
	echo "test/e2e: waiting for another runc-trace-consumer to finish: $others" >&2
	sleep 5
done
[ -z "$others" ] || { echo "test/e2e: another runc-trace-consumer still runs; not starting a second one" >&2; exit 1; }
exec node test/e2e/dashboard.e2e.mjs
