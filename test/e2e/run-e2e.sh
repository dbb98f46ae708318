#!/usr/bin/env bash
# End-to-end suite on the 3-node testbed. Needs root, the host test engine with the sb-test images
# (test/support/engine.sh up && test/support/images.sh) and a build (npm run build).
set -euo pipefail
cd "$(dirname "$0")/../.."
# A run killed midway leaves its swarm's state (services, secrets) on disk; start from none.
bash test/e2e/testbed.sh down >/dev/null 2>&1 || true
trap 'bash test/e2e/testbed.sh down >/dev/null 2>&1 || true' EXIT
npx vitest run --project e2e
