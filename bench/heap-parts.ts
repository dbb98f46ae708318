// Bench: which part of the agent holds the heap at N tasks. In one process, against the test engine with N Swarm
// tasks (created here as sbbench-hp-svcNN unless --reuse names a prefix whose tasks already run), the agent's parts
// are built one after the other, as src/agent/ builds them, and V8's used heap is taken after two full GCs
// between steps:
//   discovery   Discovery.refresh() over the real engine: the snapshot plus its cache of container inspects
//   inspects    the same, minus the cache of raw GET /containers/{id}/json answers (cleared to measure it)
//   table       TaskTable after 13 real sampling cycles (one full 60 s window at 5 s) over those tasks
//   reports     table.reports() + the node report + evaluateServices' results, as held between cycles
//   scrape      one /metrics rendering through createMetrics on a fresh Registry (its task and service text is
//               kept until the reports change)
// Also prints the size of one inspect answer as JSON, and per task figures.
//   node <out>/bench/heap-parts.js [--tasks=500] [--services=10] [--reuse=sbbench-fp-] [--markdown] [--keep]
import { hostname } from 'node:os';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createDockerApi } from '../src/adapters/docker.js';
import { createProcReader } from '../src/adapters/procfs.js';
import { evaluateServices } from '../src/core/evaluate.js';
import { TaskTable } from '../src/core/task-table.js';
import type { TaskReport } from '../src/core/types.js';
import { Discovery } from '../src/discovery.js';
import { createMetrics } from '../src/metrics.js';
import { createProcConnectionsSampler } from '../src/samplers/proc-connections.js';
import { VERSION } from '../src/version.js';
import { DEFAULT_EVAL_SETTINGS } from '../test/unit/support/factories.js';
import { flags, machineFacts, markdownTable } from './support/common.js';
import { cleanup, cleanupOnSignals, createSwarmTasks, runningBenchContainers } from './support/containers.js';
import { serviceViews } from './support/tasks.js';

const log = (s: string) => console.error(s);
const gc = (globalThis as { gc?: () => void }).gc;

async function usedMiB(): Promise<number> {
  gc!();
  await new Promise((r) => setTimeout(r, 50));
  gc!();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

async function main(): Promise<void> {
  if (!gc) throw new Error('run with --expose-gc (BENCH_NODE_OPTIONS=--expose-gc bash bench/run.sh heap-parts)');
  const fl = flags(process.argv.slice(2));
  const n = Number(fl.get('tasks') ?? 500);
  const services = Number(fl.get('services') ?? 10);
  const reuse = fl.get('reuse');
  const prefix = reuse ?? 'sbbench-hp-';
  const dockerHost = process.env.DOCKER_HOST || 'unix:///run/sb-test/docker.sock';
  console.log(machineFacts().join('\n'));
  cleanupOnSignals(log);
  const rows: (string | number)[][] = [];
  try {
    if (!reuse) {
      await cleanup(log);
      log(`creating ${n} tasks in ${services} services ...`);
      await createSwarmTasks(prefix, n, services, { log });
    } else if ((await runningBenchContainers(prefix)) < n)
      throw new Error(`fewer than ${n} tasks named ${prefix}* run`);

    const logger = pino({ level: 'silent' });
    const docker = createDockerApi(dockerHost);
    const base = await usedMiB();
    const discovery = new Discovery(docker, logger, 30_000, hostname());
    const snap = await discovery.refresh(Date.now());
    discovery.stop();
    const tasks = snap.tasks.filter((t) => t.serviceName.startsWith(prefix));
    if (tasks.length < n) throw new Error(`discovery found ${tasks.length} of ${n} tasks`);
    const afterDiscovery = await usedMiB();
    const inspected = (discovery as unknown as { inspected: Map<string, unknown> }).inspected;
    const inspectBytes = JSON.stringify(inspected.values().next().value).length;
    const cached = inspected.size;
    inspected.clear();
    const afterClear = await usedMiB();

    const table = new TaskTable(60_000, Date.now() - 3_600_000, 15_000);
    const sampler = createProcConnectionsSampler(createProcReader('/proc'));
    const t0 = Date.now();
    for (let c = 0; c <= 13; c++) table.update(t0 + c * 5000, snap.tasks, (await sampler.sample(snap.tasks)).counters);
    const afterTable = await usedMiB();

    const reports: TaskReport[] = table.reports();
    const views = serviceViews(reports);
    const { results } = evaluateServices(views, new Map(), DEFAULT_EVAL_SETTINGS, t0 + 65_000);
    const report = {
      version: 1,
      at: t0,
      node: snap.node,
      dockerUp: true,
      windowSeconds: 60,
      tasks: reports,
      services: snap.services,
      endpoints: snap.endpoints,
      firing: [],
    };
    const afterReports = await usedMiB();

    const { exposition } = createMetrics(
      new Registry(),
      {
        tasks: () => reports,
        services: () => results,
        dockerUp: () => true,
        evaluator: () => true,
        peers: () => ({}),
        samplerRuns: () => [],
        lastSampleSeconds: () => 0,
      },
      VERSION,
    );
    const text = await exposition.metrics();
    const afterScrape = await usedMiB();

    const per = (mib: number) => ((mib * 1024) / snap.tasks.length).toFixed(1);
    const step = (what: string, mib: number, note: string) => rows.push([what, mib.toFixed(1), per(mib), note]);
    step(
      'discovery snapshot + inspect cache',
      afterDiscovery - base,
      `${snap.tasks.length} tasks, ${snap.services.length} services, ${snap.endpoints.length} endpoints`,
    );
    step(
      '  of which the cache of raw inspects',
      afterDiscovery - afterClear,
      `${cached} inspect answers, ${inspectBytes} bytes of JSON each`,
    );
    step(
      'TaskTable, full 60 s window',
      afterTable - afterClear,
      '14 samples per task, 13 kept in the window plus the baseline',
    );
    step('reports, node report, results', afterReports - afterTable, `${results.length} services judged`);
    step(
      'metrics registry + the rendered text (kept until the next cycle)',
      afterScrape - afterReports,
      `${text.length} bytes of text held`,
    );
    if (JSON.stringify(report).length === 0 || text.length === 0) log('unreachable');
    console.log(
      `tasks on the node: ${snap.tasks.length} (${tasks.length} of them bench tasks); used heap after imports and the Docker client: ${base.toFixed(1)} MiB; after all steps: ${afterScrape.toFixed(1)} MiB`,
    );
  } finally {
    if (!reuse && !fl.has('keep')) await cleanup(log);
  }
  const head = ['part', 'V8 heap used MiB', 'KiB per task', 'what'];
  if (fl.has('markdown')) console.log(markdownTable(head, rows, ['l', 'r', 'r', 'l']));
  else for (const r of rows) console.log(r.join('  |  '));
}

await main();
