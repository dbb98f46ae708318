// Splits a poll-round .cpuprofile's self time into the parts of a round: GC, HTTP client, JSON.parse, the
// bounded reader, the schema check, trust checks, evaluation, own sampling (issue 15's question "where does
// the time go"). Idle time, the profiler's own session.post and file writes of a bench's set-up are left out.
//   node <out>/bench/profile-split.js FILE.cpuprofile
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

const SKIP = new Set(['idle', 'profiler (session.post)', 'bench set-up (file writes)']);
const HTTP_FUNCTIONS = new Set(['writeLatin1String', 'writeUtf8String', 'DOMException', 'utf8Slice', 'latin1Slice']);
const SAMPLING_FUNCTIONS = new Set(['open', 'openSync', 'readSync', 'closeSync', 'read', 'close']);

function part({ functionName: f, url }: ProfileNode['callFrame']): string {
  if (f === '(garbage collector)') return 'GC';
  if (f === '(idle)') return 'idle';
  if (f === '(program)') return 'V8/native, unattributed (program)';
  if (f === 'post' && url.startsWith('node:')) return 'profiler (session.post)';
  if (f === 'writeFileUtf8' || f === 'rmSync' || f === 'mkdir') return 'bench set-up (file writes)';
  if (/bounded-json/.test(url)) return f === 'push' ? 'bounded reader (byte scan)' : 'JSON.parse (+ text join)';
  if (/report-exact|report-schema|report-reader/.test(url)) return 'schema check';
  if (/peer-trust/.test(url)) return 'trust checks';
  if (/fetch-pool|fetch-worker/.test(url)) return f === 'fromWire' ? 'JSON.parse (+ text join)' : 'pool hand-over';
  if (/core\/(evaluate|views|skew|stats|detector|pinning|order|cluster-view)|cluster\/(evaluator|rejections)/.test(url))
    return 'evaluation';
  if (/procnet|samplers|procfs|task-table|rates|labels|own-tasks/.test(url) || SAMPLING_FUNCTIONS.has(f))
    return 'own sampling';
  if (/undici|adapters\/http\.(ts|js)|wasm|^node:/.test(url) || HTTP_FUNCTIONS.has(f))
    return 'HTTP client (undici, sockets, timers)';
  if (f === 'parse' && url === '') return 'JSON.parse (+ text join)';
  return 'other';
}

const profile = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const us = new Map<string, number>();
profile.samples.forEach((id, i) => {
  const p = part(nodes.get(id)!.callFrame);
  us.set(p, (us.get(p) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const busy = [...us].filter(([p]) => !SKIP.has(p)).reduce((sum, [, v]) => sum + v, 0);
console.log(`busy: ${(busy / 1000).toFixed(0)} ms (without ${[...SKIP].join(', ')})`);
for (const [p, v] of [...us].sort((a, b) => b[1] - a[1])) {
  const share = SKIP.has(p) ? '     -' : `${((100 * v) / busy).toFixed(1).padStart(5)}%`;
  console.log(`${(v / 1000).toFixed(0).padStart(7)} ms ${share}  ${p}`);
}
