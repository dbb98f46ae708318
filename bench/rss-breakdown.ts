// Bench: where the agent's resident memory comes from before it holds any task: a fresh Node process per step,
// importing the agent's dependencies one more at a time, then the whole agent (src/agent/) and, last, the agent
// started for real against the test engine (no tasks) for `--run` seconds. Each step reports VmRSS and V8's heap
// spaces, before and after a full GC. Run with other NODE_OPTIONS (e.g. --max-semi-space-size=1) to see what a
// flag saves. With Swarm tasks on the engine (e.g. left by `agent-footprint --keep`) the last step holds them all.
// --swap=docker-undici runs the steps from a copy with those src/ modules replaced (bench/support/swap.ts).
//   node <out>/bench/rss-breakdown.js [--run=30] [--node-options="..."] [--swap=...] [--only-run] [--markdown]
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { getHeapSpaceStatistics } from 'node:v8';
import { fileURLToPath } from 'node:url';
import { flags, machineFacts, markdownTable, procStatus } from './support/common.js';
import { swappedTree, type SwapName } from './support/swap.js';

const SELF = fileURLToPath(import.meta.url);
const STEPS: { name: string; modules: string[] }[] = [
  { name: 'node alone', modules: [] },
  { name: '+ pino', modules: ['pino'] },
  { name: '+ prom-client', modules: ['pino', 'prom-client'] },
  { name: '+ undici', modules: ['pino', 'prom-client', 'undici'] },
  { name: '+ node-cron', modules: ['pino', 'prom-client', 'undici', 'node-cron'] },
  { name: '+ dockerode', modules: ['pino', 'prom-client', 'undici', 'node-cron', 'dockerode'] },
  { name: 'src/agent/ (everything it imports)', modules: ['../src/agent/index.js'] },
  { name: 'agent running (--run s, every task on the engine)', modules: ['run'] },
];

interface Figures {
  rssMiB: number;
  spaces: Record<string, number>;
  external: number;
  beforeGc: { rssMiB: number; spaces: Record<string, number>; arrayBuffers: number };
}

function spaces(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of getHeapSpaceStatistics()) out[s.space_name] = s.physical_space_size / 2 ** 20;
  return out;
}

async function child(step: number, runS: number): Promise<void> {
  const { modules } = STEPS[step]!;
  let stop: (() => Promise<void>) | null = null;
  for (const m of modules) {
    if (m === 'run') {
      const { startAgent } = await import('../src/agent/index.js');
      const { parseConfig } = await import('../src/config.js');
      const { createLogger } = await import('../src/logger.js');
      const config = parseConfig(
        { ...process.env, SWARM_BALANCE_LISTEN: '127.0.0.1:19481', SWARM_BALANCE_LOG_LEVEL: 'warn' },
        [],
        () => '',
      );
      const agent = await startAgent(config, { logger: createLogger('warn', []) });
      await new Promise((r) => setTimeout(r, runS * 1000));
      stop = () => agent.stop();
    } else await import(m);
  }
  const beforeGc = {
    rssMiB: (procStatus(process.pid).VmRSS ?? 0) / 1024,
    spaces: spaces(),
    arrayBuffers: process.memoryUsage().arrayBuffers / 2 ** 20,
  };
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  await new Promise((r) => setTimeout(r, 100));
  gc();
  const figures: Figures = {
    rssMiB: (procStatus(process.pid).VmRSS ?? 0) / 1024,
    spaces: spaces(),
    external: process.memoryUsage().external / 2 ** 20,
    beforeGc,
  };
  process.send!(figures);
  await stop?.();
  process.disconnect();
}

async function main(): Promise<void> {
  const fl = flags(process.argv.slice(2));
  const runS = Number(fl.get('run') ?? 30);
  const nodeOptions = fl.get('node-options') ?? '';
  console.log(machineFacts().join('\n'));
  const swaps = (fl.get('swap') ?? '').split(',').filter(Boolean) as SwapName[];
  const script = swaps.length ? `${swappedTree(swaps)}/bench/rss-breakdown.js` : SELF;
  console.log(
    `NODE_OPTIONS for the steps: ${nodeOptions || '(none)'}; swaps: ${swaps.join(', ') || 'none'}; each step a fresh process`,
  );
  const rows: (string | number)[][] = [];
  for (let i = fl.has('only-run') ? STEPS.length - 1 : 0; i < STEPS.length; i++) {
    const c = fork(script, ['--step', String(i), String(runS)], {
      execArgv: ['--expose-gc', ...nodeOptions.split(' ').filter(Boolean)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const [figures] = (await once(c, 'message')) as [Figures];
    await once(c, 'exit');
    const s = figures.spaces;
    const f = (x: number | undefined) => (x ?? 0).toFixed(1);
    const heap = Object.values(s).reduce((a, b) => a + b, 0);
    const b = figures.beforeGc;
    const heapBefore = Object.values(b.spaces).reduce((x, y) => x + y, 0);
    rows.push([
      STEPS[i]!.name,
      `${f(b.rssMiB)} / ${f(figures.rssMiB)}`,
      `${f(heapBefore)} / ${f(heap)}`,
      `${f(b.spaces.new_space)} / ${f(s.new_space)}`,
      `${f(b.spaces.old_space)} / ${f(s.old_space)}`,
      f(s.code_space),
      f(s.large_object_space),
      `${f(b.rssMiB - heapBefore)} / ${f(figures.rssMiB - heap)}`,
      f(b.arrayBuffers),
      f(figures.external),
    ]);
  }
  const head = [
    'step',
    'VmRSS MiB before / after GC',
    'V8 heap (all spaces) MiB before / after',
    'new space MiB before / after',
    'old space MiB before / after',
    'code space MiB',
    'large objects MiB',
    'RSS outside the V8 heap MiB before / after',
    'ArrayBuffers MiB before GC',
    'external (reserved) MiB',
  ];
  if (fl.has('markdown')) console.log(markdownTable(head, rows, ['l']));
  else for (const r of rows) console.log(head.map((h, i) => `${h}: ${r[i]}`).join(', '));
}

if (process.argv[2] === '--step') await child(Number(process.argv[3]), Number(process.argv[4]));
else await main();
