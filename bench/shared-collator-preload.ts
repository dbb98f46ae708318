// Experiment, not a fix: preloaded with `node --import`, makes String#localeCompare(that, undefined, { numeric: true })
// use one shared Intl.Collator, to measure what suggestion 2 in BENCHMARKS.md would save in the judging step
// without touching src/. Every other call goes to the original.
//   BENCH_NODE_OPTIONS="--import ./node_modules/.cache/swarm-balance-bench/poll-round/bench/shared-collator-preload.js" bash bench/run.sh poll-round ...
const shared = new Intl.Collator(undefined, { numeric: true });
const original: (this: string, that: string, locales?: string | string[], options?: Intl.CollatorOptions) => number =
  String.prototype.localeCompare;

String.prototype.localeCompare = function (
  this: string,
  that: string,
  locales?: string | string[],
  options?: Intl.CollatorOptions,
): number {
  if (locales === undefined && options?.numeric === true && Object.keys(options).length === 1)
    return shared.compare(String(this), that);
  return original.call(this, that, locales, options);
};

export {};
