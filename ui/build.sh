#!/bin/sh
# Builds the dashboard (React + Vite) into ../build/ui, which runc-trace-consumer --listen serves.
# Called by consumer/build.sh, so `make build` builds it. The shared schema modules it imports
# from consumer/src resolve zod from ui/node_modules (vite.config.ts dedupe).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
npm ci --no-audit --no-fund --loglevel=error
npx tsc -p tsconfig.json
npx vite build --logLevel error
test -f "$here/../build/ui/index.html"
echo "built $(cd "$here/.." && pwd)/build/ui"
