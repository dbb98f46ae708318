// Bench: how often the collapse verdict flags each family of traffic splits (test/support/collapse-corpus.ts),
// with the agent's default settings (threshold 0.8, MIN_EVENTS 30, alpha 0.001), one window at a time.
//   bash bench/run.sh collapse-detection [--windows=10000] [--even-windows=100000] [--seed=1] [--markdown]
// Each window: a random shape within the family, log-uniform MIN_EVENTS..100x MIN_EVENTS events expected,
// Poisson counts. Families 1-5 must be flagged (detection rate), 6-9 must not (false-alarm rate). No Docker.
import { judge, skewStats, type JudgeSettings } from '../src/core/skew.js';
import {
  FAMILIES,
  generate,
  MIN_EVENTS,
  prng,
  randomWindow,
  subsetWeights,
  type Family,
} from '../test/support/collapse-corpus.js';
import { flags, machineFacts, markdownTable } from './support/common.js';

const args = flags(process.argv.slice(2));
const windows = Number(args.get('windows') ?? 10_000);
const evenWindows = Number(args.get('even-windows') ?? 100_000);
const seed = Number(args.get('seed') ?? 1);
const SETTINGS: JudgeSettings = { threshold: 0.8, minEvents: MIN_EVENTS, alpha: 0.001, hysteresis: 0.1 };

const pct = (k: number, n: number) => (n === 0 ? '-' : `${((100 * k) / n).toFixed(k > 0 && k < n / 1000 ? 3 : 2)} %`);

const rows: string[][] = [];
const started = performance.now();
for (const [i, family] of (Object.keys(FAMILIES) as Family[]).entries()) {
  const rand = prng(seed * 1000 + i);
  const total = family === 'even' ? evenWindows : windows;
  const tally = { flagged: 0, small: 0, smallFlagged: 0, large: 0, largeFlagged: 0 };
  for (let w = 0; w < total; w++) {
    const tasks = randomWindow(family, rand);
    const flagged = judge(skewStats(tasks), SETTINGS, false).kind === 'skewed';
    const events = tasks.reduce((a, t) => a + t.events, 0);
    const small = events < 10 * MIN_EVENTS;
    if (flagged) tally.flagged++;
    if (small) {
      tally.small++;
      if (flagged) tally.smallFlagged++;
    } else {
      tally.large++;
      if (flagged) tally.largeFlagged++;
    }
  }
  const must = FAMILIES[family].flagged;
  rows.push([
    `${i + 1}. ${family}`,
    must ? 'flag' : 'not flag',
    String(total),
    `${pct(tally.flagged, total)} (${tally.flagged})`,
    pct(tally.smallFlagged, tally.small),
    pct(tally.largeFlagged, tally.large),
    FAMILIES[family].what,
  ]);
}
// The fixed shapes at fixed traffic: where detection and false alarms depend on the events.
const SHAPES: [string, number[]][] = [
  ['1 of 10 takes everything', subsetWeights(10, 1)],
  ['2 of 6 take everything', subsetWeights(6, 2)],
  ['3 of 9 take everything', subsetWeights(9, 3)],
  ['90/10', [0.9, 0.1]],
  ['4 of 10 take 97 %', subsetWeights(10, 4, 0.03)],
  ['87.5/12.5 (under the threshold)', [0.875, 0.125]],
  ['60/40', [0.6, 0.4]],
  ['30/30/25/15', [0.3, 0.3, 0.25, 0.15]],
];
const EVENTS = [MIN_EVENTS, 2 * MIN_EVENTS, 10 * MIN_EVENTS, 100 * MIN_EVENTS];
const shapeWindows = Number(args.get('shape-windows') ?? 4000);
const shapeRows = SHAPES.map(([name, weights], i) => [
  name,
  ...EVENTS.map((n) => {
    const rand = prng(seed * 7919 + i * 101 + n);
    let flagged = 0;
    for (let w = 0; w < shapeWindows; w++)
      if (judge(skewStats(generate(rand, weights, n)), SETTINGS, false).kind === 'skewed') flagged++;
    return pct(flagged, shapeWindows);
  }),
]);

const header = [
  'family',
  'must',
  'windows',
  'flagged',
  `flagged, < ${10 * MIN_EVENTS} events`,
  `flagged, >= ${10 * MIN_EVENTS} events`,
  'shape',
];
for (const line of machineFacts()) console.log(line);
console.log(`seed ${seed}; ${((performance.now() - started) / 1000).toFixed(1)} s`);
const shapeHeader = ['shape', ...EVENTS.map((n) => `${n} events expected`)];
if (args.has('markdown')) {
  console.log(markdownTable(header, rows, ['l', 'l', 'r', 'r', 'r', 'r', 'l']));
  console.log(
    `\nflagged per window, ${shapeWindows} windows each (Poisson counts; a window under MIN_EVENTS gets no verdict):\n`,
  );
  console.log(markdownTable(shapeHeader, shapeRows, ['l']));
} else {
  for (const r of [header, ...rows]) console.log(r.slice(0, 6).join('\t'));
  for (const r of [shapeHeader, ...shapeRows]) console.log(r.join('\t'));
}
