#!/bin/sh
# Runs the dashboard's vitest suite (unit and component tests, jsdom).
set -eu
cd "$(dirname "$0")"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
exec npx vitest run "$@"
