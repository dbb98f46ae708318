#!/usr/bin/env bash
# Builds the benches and runs one:  bash bench/run.sh poll-round [flags]
# src/, bench/ and the test support they import are compiled together (bench/tsconfig.json) into a git-ignored
# folder under node_modules/, so imports of undici, pino, … resolve as they do for the agent; package.json is copied next to
# the output because src/version.ts reads ../package.json and it makes the folder an ES module scope.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:?usage: bash bench/run.sh <bench> [flags], e.g. bash bench/run.sh poll-round --peers=5000}
shift
# One output folder per bench, so two benches can run at once without one rebuilding under the other.
out=node_modules/.cache/swarm-balance-bench/$name
rm -rf "$out"
npx tsc -p bench/tsconfig.json --outDir "$out"
cp package.json "$out/package.json"
# The peer farm holds two descriptors per peer (listening and accepted socket), the poller one.
want=20000
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $want ]]; then ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; fi
# Node flags for the bench processes only (not for tsc), e.g. a preload from the compiled output:
#   BENCH_NODE_OPTIONS="--import ./node_modules/.cache/swarm-balance-bench/poll-round/bench/shared-collator-preload.js" bash bench/run.sh poll-round
if [[ -n ${BENCH_NODE_OPTIONS:-} ]]; then export NODE_OPTIONS=$BENCH_NODE_OPTIONS; fi
# Flags Node takes only on its command line, as the image's ENTRYPOINT passes them (the bench's own children
# inherit them): BENCH_NODE_ARGS="--optimize-for-size --no-maglev" bash bench/run.sh poll-round
# shellcheck disable=SC2086
exec node ${BENCH_NODE_ARGS:-} "$out/bench/$name.js" "$@"
