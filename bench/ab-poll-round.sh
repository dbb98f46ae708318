#!/usr/bin/env bash
# A/B of the poll-round bench: the code of a base ref against the working tree, interleaved run by run so both
# see the same minutes of a shared machine. Both sides run this tree's bench harness (bench/, test/support/);
# only src/ differs.
#   bash bench/ab-poll-round.sh [--base=REF] [--runs=N] [poll-round flags …]
# e.g. with the image's settings on Node 24:
#   PATH="$(bash test/support/node-runtime.sh):$PATH" BENCH_NODE_OPTIONS=--max-semi-space-size=1 MALLOC_ARENA_MAX=2 \
#     bash bench/ab-poll-round.sh --base=main --runs=3 --peers=5000 --concurrency=64 --keepalive=65000 --markdown
# Node flags per side (not accepted in NODE_OPTIONS, e.g. --optimize-for-size): A_NODE_ARGS, B_NODE_ARGS; with
# --base=HEAD and only B_NODE_ARGS set, the A/B is of the flags alone.
# Output: one labelled table per run (A = base, B = this tree), with the load average beside each.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
base=main
runs=3
args=()
for a in "$@"; do
  case $a in
    --base=*) base=${a#--base=} ;;
    --runs=*) runs=${a#--runs=} ;;
    *) args+=("$a") ;;
  esac
done
root=node_modules/.cache/swarm-balance-bench
a_src=$(mktemp -d /tmp/sbbench-ab-src-XXXXXX)
trap 'rm -rf "$a_src"' EXIT
# The base's src/ with this tree's bench harness and test support on top.
git archive "$base" src tsconfig.json package.json | tar -x -C "$a_src"
cp -r bench test "$a_src/"
# Benches that import parts of src/ a base from before them lacks (and that this A/B does not run).
rm -f "$a_src/bench/peer-answer.ts"
ln -s "$PWD/node_modules" "$a_src/node_modules"
build() { # $1 source tree, $2 output folder
  rm -rf "$2"
  (cd "$1" && npx tsc -p bench/tsconfig.json --outDir "$2")
  cp "$1/package.json" "$2/package.json"
}
a_out="$PWD/$root/ab-base"
b_out="$PWD/$root/ab-tree"
build "$a_src" "$a_out"
build "$PWD" "$b_out"
want=20000
if [[ $(ulimit -n) != unlimited && $(ulimit -n) -lt $want ]]; then ulimit -n "$want" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; fi
if [[ -n ${BENCH_NODE_OPTIONS:-} ]]; then export NODE_OPTIONS=$BENCH_NODE_OPTIONS; fi
echo "A = $base ($(git rev-parse --short "$base")), B = this tree ($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src || echo ' + uncommitted src changes')); node $(node --version); NODE_OPTIONS=${NODE_OPTIONS:-} MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-}"
for ((i = 1; i <= runs; i++)); do
  # Alternate which side goes first, so neither always gets the quieter minute.
  if ((i % 2)); then order="A B"; else order="B A"; fi
  for side in $order; do
    out=$a_out
    node_args=${A_NODE_ARGS:-}
    if [[ $side == B ]]; then out=$b_out node_args=${B_NODE_ARGS:-}; fi
    echo "--- run $i, $side${node_args:+ (node $node_args)}, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M:%S)"
    # shellcheck disable=SC2086 # the flags are words
    node $node_args "$out/bench/poll-round.js" "${args[@]}"
  done
done
