// Bench: the real agent process (src/cli.ts `agent`) against the test engine with N Swarm tasks on the node:
// its RSS after warm-up, its CPU, and, side by side with node_exporter on the same node and containers, the CPU
// and RSS each costs per scrape.
// Goals from the spec: agent RSS ≤ 80 MB at 500 tasks. The node_exporter comparison has no goal.
//   node <out>/bench/agent-footprint.js [--tasks=100,500] [--services=10] [--warmup=70] [--measure=60]
//        [--agent=PATH] [--swap=docker-undici] [--node-options="..."] [--node-args="..."] [--agent-env=K=V,...] [--node-exporter=/usr/bin/prometheus-node-exporter|none]
//        [--scrapes=100] [--baseline=false] [--markdown] [--json] [--keep]
// --keep leaves the services running at the end and, when they already run, starts from them (no cleanup first);
// --baseline=false skips the agent run with no bench task.
//
// Tasks: `services` Swarm services sbbench-fp-svcNN of sb-test/busybox:1 (httpd, default bridge network), scaled so
// that they hold N tasks in all (`docker service scale` from one N to the next); removed at the end.
// Agent: `node <agent> agent` with DOCKER_HOST the test engine, listen on a free 127.0.0.1 port, every other setting at its
// default (interval 5 s, window 60 s, proc root /proc). The default <agent> is the cli.js that bench/run.sh
// compiled from src/ a moment before (the same tsc output as `npm run build`'s dist/cli.js); --agent=dist/cli.js
// runs the built one instead. --swap runs a copy of it with src/ modules replaced by stand-ins (bench/support/swap.ts).
// RSS: VmRSS from /proc/<pid>/status every 5 s over `measure` seconds, after `warmup` seconds (past one full 60 s
// window, so every task's history is full), with a /metrics scrape every 15 s as Prometheus would.
// Scrape cost: each exporter in turn, alone: CPU over 20 s without scrapes (the agent samples in the background),
// then `scrapes` sequential scrapes; CPU per scrape = (CPU during the scrapes − idle rate × their duration) / count,
// CPU from utime + stime in /proc/<pid>/stat (10 ms ticks).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { docker } from '../test/support/docker.js';
import { parsePromText } from '../test/support/agent-process.js';
import { freePort } from '../test/support/ports.js';
import { waitFor } from '../test/support/wait.js';
import {
  flags,
  loadAverage,
  machineFacts,
  markdownTable,
  median,
  numbers,
  percentile,
  procCpuUs,
  procStatus,
} from './support/common.js';
import { cleanup, cleanupOnSignals, createSwarmTasks, runningBenchContainers } from './support/containers.js';
import { swappedTree, type SwapName } from './support/swap.js';

const PREFIX = 'sbbench-fp-';
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Proc {
  name: string;
  child: ChildProcess;
  url: string;
  output: () => string;
}

function start(name: string, cmd: string, args: string[], env: Record<string, string>, url: string): Proc {
  const child = spawn(cmd, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer) => {
    out = (out + c.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return { name, child, url, output: () => out };
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGTERM');
  await Promise.race([once(p.child, 'exit'), sleep(10_000).then(() => p.child.kill('SIGKILL'))]);
}

/** The kit's waitFor, every 500 ms, giving up at once (with its output) when the process `p` exited. */
async function waitForProc(what: string, timeoutMs: number, check: () => Promise<boolean>, p?: Proc): Promise<void> {
  await waitFor(check, timeoutMs, what, p?.output, {
    everyMs: 500,
    giveUpIf: () => (p && p.child.exitCode !== null ? `${p.name} exited (${p.child.exitCode})` : undefined),
  });
}

async function scrape(url: string): Promise<{ ms: number; text: string }> {
  const s = performance.now();
  const res = await fetch(url);
  const text = await res.text();
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return { ms: performance.now() - s, text };
}

const seriesCount = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
const rssKiB = (pid: number) => procStatus(pid).VmRSS ?? 0;

interface RssFigures {
  tasks: number;
  taskInfo: number;
  benchTaskInfo: number;
  rssMiB: number[];
  anonMiB: number[];
  fileMiB: number[];
  hwmMiB: number;
  cpuPercent: number;
  samplerSeconds: number[];
  series: number;
  bodyBytes: number;
  load: string;
}

async function measureAgent(agent: Proc, n: number, warmupS: number, measureS: number): Promise<RssFigures> {
  const pid = agent.child.pid!;
  log(`agent: waiting until it reports ${n} bench tasks ...`);
  let last = { taskInfo: 0, bench: 0 };
  await waitForProc(
    `${n} bench tasks in /metrics`,
    180_000,
    async () => {
      const samples = parsePromText((await scrape(agent.url)).text).filter((s) => s.name === 'swarm_balance_task_info');
      last = {
        taskInfo: samples.length,
        bench: samples.filter((s) => (s.labels.service ?? '').startsWith(PREFIX)).length,
      };
      return last.bench >= n;
    },
    agent,
  );
  log(`agent sees ${last.bench} bench tasks (${last.taskInfo} tasks in all); warm-up ${warmupS} s`);
  await sleep(warmupS * 1000);
  const rss: number[] = [];
  // VmRSS = RssAnon (the process's own memory) + RssFile (mapped files: mostly the node binary's pages,
  // shared with every node process and not counted by a container's memory limit) + RssShmem.
  const anon: number[] = [];
  const file: number[] = [];
  const sampler: number[] = [];
  let series = 0;
  let bodyBytes = 0;
  const cpu0 = procCpuUs(pid);
  const t0 = performance.now();
  for (let i = 0; i * 5 < measureS; i++) {
    if (i % 3 === 0) {
      const { text } = await scrape(agent.url);
      series = seriesCount(text);
      bodyBytes = Buffer.byteLength(text);
      const d = parsePromText(text).find(
        (s) => s.name === 'swarm_balance_sampler_duration_seconds' && s.labels.sampler === 'proc_connections',
      );
      if (d) sampler.push(d.value);
    }
    const st = procStatus(pid);
    rss.push((st.VmRSS ?? 0) / 1024);
    anon.push((st.RssAnon ?? 0) / 1024);
    file.push((st.RssFile ?? 0) / 1024);
    await sleep(5000 - ((performance.now() - t0) % 5000));
  }
  const cpuPercent = (100 * (procCpuUs(pid) - cpu0)) / 1000 / (performance.now() - t0);
  const status = procStatus(pid);
  return {
    tasks: n,
    taskInfo: last.taskInfo,
    benchTaskInfo: last.bench,
    rssMiB: rss,
    anonMiB: anon,
    fileMiB: file,
    hwmMiB: (status.VmHWM ?? 0) / 1024,
    cpuPercent,
    samplerSeconds: sampler,
    series,
    bodyBytes,
    load: loadAverage(),
  };
}

interface ScrapeCost {
  exporter: string;
  tasks: number;
  scrapes: number;
  idleCpuMsPerS: number;
  cpuMsPerScrape: number;
  p50: number;
  p99: number;
  series: number;
  bodyBytes: number;
  rssMiB: number;
  netSeries: number;
  vethSeries: number;
}

async function scrapeCost(p: Proc, n: number, count: number): Promise<ScrapeCost> {
  const pid = p.child.pid!;
  for (let i = 0; i < 3; i++) await scrape(p.url); // warm
  const idle0 = procCpuUs(pid);
  const it0 = performance.now();
  await sleep(20_000);
  const idleRate = (procCpuUs(pid) - idle0) / (performance.now() - it0); // µs per ms
  const lat: number[] = [];
  let text = '';
  const c0 = procCpuUs(pid);
  const t0 = performance.now();
  const deadline = t0 + 120_000;
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    const r = await scrape(p.url);
    lat.push(r.ms);
    text = r.text;
  }
  const wall = performance.now() - t0;
  const cpu = procCpuUs(pid) - c0 - idleRate * wall;
  const samples = parsePromText(text);
  return {
    exporter: p.name,
    tasks: n,
    scrapes: lat.length,
    idleCpuMsPerS: idleRate,
    cpuMsPerScrape: cpu / 1000 / lat.length,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    series: samples.length,
    bodyBytes: Buffer.byteLength(text),
    rssMiB: rssKiB(pid) / 1024,
    netSeries: samples.filter((s) => s.name.startsWith('node_network_') || s.name.startsWith('node_netstat_')).length,
    vethSeries: samples.filter((s) => (s.labels.device ?? '').startsWith('veth')).length,
  };
}

async function main(): Promise<void> {
  const fl = flags(process.argv.slice(2));
  const counts = numbers(fl.get('tasks') ?? '100,500');
  const services = Number(fl.get('services') ?? 10);
  const warmupS = Number(fl.get('warmup') ?? 70);
  const measureS = Number(fl.get('measure') ?? 60);
  const scrapes = Number(fl.get('scrapes') ?? 100);
  const swaps = (fl.get('swap') ?? '').split(',').filter(Boolean) as SwapName[];
  const agentJs = fl.get('agent') ?? `${swappedTree(swaps)}/src/cli.js`;
  const nodeExporter = fl.get('node-exporter') ?? '/usr/bin/prometheus-node-exporter';
  const compare = nodeExporter !== 'none';
  if (compare && !existsSync(nodeExporter))
    throw new Error(`${nodeExporter} not found: apt-get install prometheus-node-exporter, or --node-exporter=none`);
  const nodeOptions = fl.get('node-options') ?? '';
  // Flags Node takes only on its command line (V8's --no-maglev, --optimize-for-size), as the image's ENTRYPOINT has them.
  const nodeArgs = (fl.get('node-args') ?? '').split(' ').filter(Boolean);
  const agentEnv = Object.fromEntries(
    (fl.get('agent-env') ?? '')
      .split(',')
      .filter(Boolean)
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
  const dockerHost = process.env.DOCKER_HOST || 'unix:///run/sb-test/docker.sock';
  console.log(machineFacts().join('\n'));
  console.log(
    `agent: node ${[...nodeArgs, agentJs].join(' ')} agent; swaps: ${swaps.join(', ') || 'none'}; NODE_OPTIONS=${nodeOptions || '(none)'}; env ${JSON.stringify(agentEnv)}; DOCKER_HOST=${dockerHost}; engine ${(await docker(['version', '-f', '{{.Server.Version}}'])).trim()}`,
  );
  if (compare)
    console.log(
      `node_exporter: ${nodeExporter} ${await new Promise<string>((r) => {
        const c = spawn(nodeExporter, ['--version']);
        let o = '';
        c.stderr.on('data', (d: Buffer) => {
          o += d;
        });
        c.stdout.on('data', (d: Buffer) => {
          o += d;
        });
        c.on('exit', () => r(o.split('\n')[0] ?? ''));
      })}`,
    );
  cleanupOnSignals(log, PREFIX);
  const rssRows: RssFigures[] = [];
  const costRows: ScrapeCost[] = [];
  try {
    if (!fl.has('keep')) await cleanup(log, PREFIX);
    // Baseline: the agent with no bench task (other users' tasks on this engine, if any, are counted and shown).
    for (const n of [...(fl.get('baseline') === 'false' ? [] : [0]), ...counts]) {
      const existing = await runningBenchContainers(PREFIX);
      if (n === 0 && existing > 0) {
        // Services kept by an earlier --keep run: the baseline needs them at 0 tasks.
        log(`scaling ${services} services to 0 tasks for the baseline ...`);
        await docker([
          'service',
          'scale',
          '--detach',
          ...Array.from({ length: services }, (_, s) => `${PREFIX}svc${String(s).padStart(2, '0')}=0`),
        ]);
        await waitForProc('no running bench task', 900_000, async () => (await runningBenchContainers(PREFIX)) === 0);
      }
      if (n > 0) {
        // Scaled to 0 for the baseline, the services are still there: scale them, do not create them.
        const haveServices =
          existing > 0 || (await docker(['service', 'ls', '-q', '--filter', `name=${PREFIX}svc`])).trim() !== '';
        log(`${haveServices ? 'scaling' : 'creating'} ${services} services to ${n} tasks ...`);
        const started = Date.now();
        if (!haveServices) await createSwarmTasks(PREFIX, n, services, { log });
        else {
          const per = (s: number) => Math.floor(n / services) + (s < n % services ? 1 : 0);
          await docker([
            'service',
            'scale',
            '--detach',
            ...Array.from({ length: services }, (_, s) => `${PREFIX}svc${String(s).padStart(2, '0')}=${per(s)}`),
          ]);
          await waitForProc(`${n} running tasks`, 900_000, async () => (await runningBenchContainers(PREFIX)) >= n);
        }
        log(`  ${n} tasks running after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      const agentPort = await freePort();
      const agent = start(
        'swarm-balance agent',
        process.execPath,
        [...nodeArgs, agentJs, 'agent'],
        {
          ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
          ...agentEnv,
          DOCKER_HOST: dockerHost,
          SWARM_BALANCE_LISTEN: `127.0.0.1:${agentPort}`,
          SWARM_BALANCE_LOG_LEVEL: 'warn',
        },
        `http://127.0.0.1:${agentPort}/metrics`,
      );
      try {
        await waitForProc(
          'agent /healthz',
          30_000,
          async () => (await fetch(`http://127.0.0.1:${agentPort}/healthz`)).ok,
          agent,
        );
        await waitForProc(
          'agent /readyz',
          60_000,
          async () => (await fetch(`http://127.0.0.1:${agentPort}/readyz`)).ok,
          agent,
        );
        const figures = await measureAgent(
          agent,
          n,
          n === 0 ? Math.min(warmupS, 20) : warmupS,
          n === 0 ? Math.min(measureS, 30) : measureS,
        );
        rssRows.push(figures);
        log(
          `agent at ${n} tasks: RSS median ${median(figures.rssMiB).toFixed(1)} MiB, max ${Math.max(...figures.rssMiB).toFixed(1)}, HWM ${figures.hwmMiB.toFixed(1)}, CPU ${figures.cpuPercent.toFixed(2)} %`,
        );
        if (compare && n > 0) {
          costRows.push(await scrapeCost(agent, n, scrapes));
          const nePort = await freePort();
          const ne = start(
            'node_exporter',
            nodeExporter,
            [`--web.listen-address=127.0.0.1:${nePort}`],
            {},
            `http://127.0.0.1:${nePort}/metrics`,
          );
          try {
            await waitForProc('node_exporter /metrics', 30_000, async () => (await fetch(ne.url)).ok, ne);
            await sleep(2000);
            costRows.push(await scrapeCost(ne, n, scrapes));
          } finally {
            await stop(ne);
          }
          log(
            `scrape cost at ${n} tasks: ${costRows
              .slice(-2)
              .map((c) => `${c.exporter} ${c.cpuMsPerScrape.toFixed(1)} ms CPU/scrape`)
              .join(', ')}`,
          );
        }
      } finally {
        await stop(agent);
        if (agent.output().trim())
          console.log(
            `agent log at ${n} tasks (warn and above, last lines):\n${agent.output().trim().split('\n').slice(-5).join('\n')}`,
          );
      }
    }
  } finally {
    if (!fl.has('keep')) await cleanup(log, PREFIX);
  }

  const f = (x: number, d = 1) => x.toFixed(d);
  const GOAL_MB = 80;
  console.log(`\nload average at end: ${loadAverage()}`);
  console.log('\nAgent RSS after warm-up (VmRSS every 5 s; MiB = 2^20 bytes, goal 80 MB = 76.3 MiB):');
  const rssHead = [
    'bench tasks',
    'tasks the agent reports',
    'RSS MiB median',
    'RSS MiB min–max',
    'RssAnon MiB median',
    'RssFile MiB median',
    'VmHWM MiB',
    'RSS MB (10^6) max',
    'agent CPU %',
    'proc_connections cycle s (median)',
    '/metrics series',
    '/metrics bytes',
    'goal: median ≤ 80 MB',
  ];
  const rssTable = rssRows.map((r) => [
    r.tasks,
    r.taskInfo,
    f(median(r.rssMiB)),
    `${f(Math.min(...r.rssMiB))}–${f(Math.max(...r.rssMiB))}`,
    f(median(r.anonMiB)),
    f(median(r.fileMiB)),
    f(r.hwmMiB),
    f((Math.max(...r.rssMiB) * 2 ** 20) / 1e6),
    f(r.cpuPercent, 2),
    r.samplerSeconds.length ? f(median(r.samplerSeconds), 3) : '-',
    r.series,
    r.bodyBytes,
    r.tasks === 500 ? (median(r.rssMiB) * 2 ** 20 <= GOAL_MB * 1e6 ? 'met' : 'MISSED') : '-',
  ]);
  console.log(
    fl.has('markdown')
      ? markdownTable(rssHead, rssTable)
      : rssTable.map((r) => rssHead.map((h, i) => `${h}: ${r[i]}`).join(', ')).join('\n'),
  );
  if (costRows.length) {
    console.log(
      `\nScrape cost, each exporter alone, ${scrapes} sequential scrapes (CPU from /proc/<pid>/stat, idle rate subtracted):`,
    );
    const head = [
      'exporter',
      'tasks',
      'scrapes',
      'CPU ms per scrape',
      'idle CPU ms/s',
      'latency p50 ms',
      'latency p99 ms',
      'series',
      'body bytes',
      'RSS MiB after',
      'node_network_*/node_netstat_* series',
      'series on veth* devices',
    ];
    const rows = costRows.map((c) => [
      c.exporter,
      c.tasks,
      c.scrapes,
      f(c.cpuMsPerScrape, 2),
      f(c.idleCpuMsPerS, 2),
      f(c.p50),
      f(c.p99),
      c.series,
      c.bodyBytes,
      f(c.rssMiB),
      c.netSeries,
      c.vethSeries,
    ]);
    console.log(
      fl.has('markdown')
        ? markdownTable(head, rows, ['l'])
        : rows.map((r) => head.map((h, i) => `${h}: ${r[i]}`).join(', ')).join('\n'),
    );
  }
  if (fl.has('json')) console.log(JSON.stringify({ rss: rssRows, cost: costRows }));
}

await main();
