#!/usr/bin/env bash
# `npm run demo`: compiles scripts/demo.ts (with the test/support files it uses, scripts/tsconfig.json) into a
# git-ignored folder under node_modules/ and runs it from the repository's root. package.json goes next to the
# output so that Node treats the folder as ES modules. `exec` leaves one demo process for signals to reach.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=node_modules/.cache/swarm-balance-demo
npx tsc -p scripts/tsconfig.json
cp package.json "$out/package.json"
exec node "$out/scripts/demo.js" "$@"
