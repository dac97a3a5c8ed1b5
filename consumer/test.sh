#!/bin/sh
# Runs the consumer's vitest suite (npm test) and prints its summary.
set -eu
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
exec npx vitest run "$@"
