// Bench: what a peer's agent spends answering one evaluator's /v1/report ask, built and serialised as
// src/agent/index.ts does (core/report-for-peers.ts answerPeer, then JSON.stringify): lean as before
// `known`, the report tagged (its tasks changed), and the windows alone (they did not).
//   node <out>/bench/peer-answer.js [--tasks=10,500] [--answers=400]
import { performance } from 'node:perf_hooks';
import { ReportTags } from '../src/core/report-delta.js';
import { answerPeer } from '../src/core/report-for-peers.js';
import { nodeReport } from '../test/support/fake-peers.js';
import { loadAverage } from './support/common.js';

const flag = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const answers = Number(flag('answers', '400'));

console.log(`node ${process.version}, load average ${loadAverage()}, ${answers} answers per cell, best of 3`);
console.log('| tasks | answer | µs per answer | bytes |');
console.log('| ---: | --- | ---: | ---: |');
for (const tasks of flag('tasks', '10,500').split(',').map(Number)) {
  const report = nodeReport({ node: 1, tasks, serviceCount: Math.max(1, Math.ceil(tasks / 10)) });
  const tags = new ReportTags('bench');
  const tag = tags.tagOf(report);
  const kinds: [string, string | null][] = [
    ['lean, untagged (an evaluator from before `known`)', null],
    ['lean with its tag (the tasks changed)', ''],
    ['windows alone (the tasks did not)', tag],
  ];
  for (const [name, known] of kinds) {
    let best = Infinity;
    let bytes = 0;
    for (let run = 0; run < 3; run++) {
      const t0 = performance.now();
      for (let i = 0; i < answers; i++)
        bytes = JSON.stringify(answerPeer(report, { inbound: [], lean: true, known }, tags)).length;
      best = Math.min(best, ((performance.now() - t0) / answers) * 1000);
    }
    console.log(`| ${tasks} | ${name} | ${best.toFixed(0)} | ${bytes} |`);
  }
}
