// Reads a sampling heap profile (alloc-profile-preload.ts) and prints the MiB allocated per minute in all and
// by the function that allocated, with the calls that led there: where the agent's garbage comes from.
//   node <out>/bench/alloc-summary.js /tmp/agent.heapprofile [--seconds=60] [--top=25]
import { readFileSync } from 'node:fs';
import { flags } from './support/common.js';

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children?: ProfileNode[];
}

const fl = flags(process.argv.slice(3));
const file = process.argv[2];
if (!file) throw new Error('usage: alloc-summary.js <profile> [--seconds=60] [--top=25]');
const seconds = Number(fl.get('seconds') ?? '60');
const top = Number(fl.get('top') ?? '25');
const head = (JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode }).head;

const bySelf = new Map<string, number>();
const byStack = new Map<string, number>();
const frameName = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').pop() ?? ''}:${n.callFrame.lineNumber + 1}`;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
function walk(n: ProfileNode, path: string[]): void {
  const here = [...path, frameName(n)];
  if (n.selfSize > 0) {
    add(bySelf, here[here.length - 1]!, n.selfSize);
    add(byStack, here.slice(-4).reverse().join(' <- '), n.selfSize);
  }
  for (const c of n.children ?? []) walk(c, here);
}
walk(head, []);

const total = [...bySelf.values()].reduce((a, b) => a + b, 0);
const perMinute = (bytes: number) => ((bytes / 2 ** 20) * 60) / seconds;
console.log(`allocated: ${perMinute(total).toFixed(1)} MiB per minute (${seconds} s profiled)`);
const print = (m: Map<string, number>) => {
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top))
    console.log(`${perMinute(v).toFixed(2).padStart(7)} MiB/min ${((100 * v) / total).toFixed(1).padStart(5)} %  ${k}`);
};
console.log('\nby the function that allocated:');
print(bySelf);
console.log('\nby call path (allocating function first):');
print(byStack);
