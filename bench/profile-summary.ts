// Summarises a V8 .cpuprofile (node --cpu-prof) by self time: per function, and per place the code lives
// (a src/ file, an npm package, node internals, GC, idle).
//   node <out>/bench/profile-summary.js FILE.cpuprofile [--top=25]
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a function lives: `src/cluster/poller.ts`, `undici`, `node:internal`, or a V8 pseudo-frame. */
export function placeOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native / builtin)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/.][^/]*)\//.exec(url.replace(/.*node_modules\/\.cache\/[^/]+\//, ''));
  if (pkg) return pkg[1]!;
  const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
  if (own) return own[1]!.replace(/\.js$/, '.ts');
  if (url.startsWith('node:')) return 'node:internal';
  return url;
}

export function summarise(profile: CpuProfile, top: number): string {
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const place = placeOf(url, functionName);
    const fn = `${functionName || '(anonymous)'}  ${place}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byPlace.set(place, (byPlace.get(place) ?? 0) + us);
  }
  const rows = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, us]) => `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
      );
  return [
    `profile: ${(total / 1000).toFixed(0)} ms, ${profile.samples.length} samples`,
    '',
    'self time by place:',
    ...rows(byPlace, top),
    '',
    'self time by function:',
    ...rows(byFunction, top),
  ].join('\n');
}

const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary FILE.cpuprofile [--top=25]');
  process.exit(2);
}
const top = Number(process.argv.find((a) => a.startsWith('--top='))?.slice(6) ?? 25);
console.log(summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top));
