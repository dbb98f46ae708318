// Five minutes of task churn (about 100 starts and 100 stops a minute) while a real Prometheus
// scrapes the agent every 5 s: no failed scrape, no crash, no negative rate, no leaked series.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, docker, runningContainerTasks, serviceTasks, waitForRunning } from '../support/docker.js';
import { scrape, series, waitFor, type AgentProcess } from '../support/agent-process.js';
import { promQuery, stopDaemon, type Daemon, type PromVector } from '../support/daemons.js';
import { agentOverSpreadService, agentTaskIds, negativeRates } from '../support/engine-agent.js';
import { startPrometheus } from '../support/monitoring.js';

const NET = 'sbchurn-net';
const SERVICE = 'sbchurn-web';
const PORT = 19495;
const PROM_PORT = 19496;
const CHURN_MS = Number(process.env.SB_CHURN_SECONDS ?? 300) * 1000;
let agent: AgentProcess;
let prometheus: Daemon | undefined;

const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

beforeAll(async () => {
  await cleanup('sbchurn-');
  agent = await agentOverSpreadService(
    { service: SERVICE, network: NET, replicas: 2, client: 'sbchurn-load', rate: 30 },
    {
      SWARM_BALANCE_INTERVAL: '1s',
      SWARM_BALANCE_WINDOW: '15s',
      SWARM_BALANCE_LOG_LEVEL: process.env.SB_CHURN_LOG_LEVEL ?? 'warn',
    },
    PORT,
  );
  const dir = mkdtempSync(join(tmpdir(), 'sb-churn-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 5s, scrape_timeout: 4s }',
      'scrape_configs:',
      '  - job_name: swarm-balance',
      `    static_configs: [{ targets: ['127.0.0.1:${PORT}'] }]`,
    ].join('\n'),
  );
  prometheus = await startPrometheus(join(dir, 'prometheus.yml'), join(dir, 'data'), PROM_PORT);
}, 180_000);

afterAll(async () => {
  await agent?.stop();
  await stopDaemon(prometheus);
  await cleanup('sbchurn-');
});

describe('task churn under scraping', () => {
  it(
    'keeps every scrape good, every rate non-negative, no series of gone tasks, and memory flat',
    async () => {
      const negative: string[] = [];
      const rss: { at: number; kb: number }[] = [];
      const started = Date.now();
      let flips = 0;
      let replicas = 2;
      while (Date.now() - started < CHURN_MS) {
        // 2 <-> 22 every 6 s: twenty task starts, then twenty stops: about 100 of each a minute.
        replicas = replicas === 2 ? 22 : 2;
        await docker(['service', 'scale', '--detach', `${SERVICE}=${replicas}`]);
        flips++;
        const until = Date.now() + 6000;
        while (Date.now() < until) {
          negative.push(...(await negativeRates(agent.url)));
          await new Promise((r) => setTimeout(r, 1000));
        }
        rss.push({ at: Date.now() - started, kb: rssKb(agent.child.pid!) });
        expect(agent.child.exitCode).toBeNull();
      }
      const starts = Math.round((flips / 2) * 20);
      console.log(
        `churn: ${flips} scale flips in ${Math.round((Date.now() - started) / 1000)} s, about ${starts} task starts and as many stops; RSS (MB) over time: ${rss.map((r) => (r.kb / 1024).toFixed(0)).join(' ')}`,
      );

      // Settle at 2 replicas: the agent's series must match the engine's tasks exactly.
      await docker(['service', 'scale', '--detach', `${SERVICE}=2`]);
      await waitForRunning(SERVICE, 2, 180_000);
      const running = (await serviceTasks(SERVICE))
        .filter((t) => t.Status.State === 'running')
        .map((t) => t.ID)
        .sort();
      // The engine has settled too: the containers of the tasks it shut down have stopped.
      let containers: string[] = [];
      await waitFor(
        async () => JSON.stringify((containers = await runningContainerTasks(SERVICE))) === JSON.stringify(running),
        180_000,
        'the engine to stop the containers of the tasks it shut down',
        () => `running tasks: ${running.join(' ')}\nrunning containers' tasks: ${containers.join(' ')}`,
      );
      let shown: string[] = [];
      await waitFor(
        async () => {
          shown = await agentTaskIds(agent.url, SERVICE);
          return JSON.stringify(shown) === JSON.stringify(running);
        },
        60_000,
        'task series matching the 2 running tasks',
        () =>
          `engine's running tasks: ${running.join(' ')}\nthe agent's task_info: ${shown.join(' ')}\n${agent.logs()}`,
      ).catch(async (err: Error) => {
        // The containers behind the series the engine does not count as running: what the agent saw.
        const extra = shown.filter((id) => !running.includes(id));
        const say = (args: string[]) => docker(args).catch((e: Error) => e.message);
        const ps = await say([
          'ps',
          '-a',
          '--filter',
          `label=com.docker.swarm.service.name=${SERVICE}`,
          '--format',
          '{{.Label "com.docker.swarm.task.id"}} {{.Status}}',
        ]);
        const tasks = extra.length
          ? await say([
              'inspect',
              '--type',
              'task',
              '--format',
              '{{.ID}} {{.DesiredState}} {{.Status.State}}',
              ...extra,
            ])
          : '';
        const last = series(await scrape(agent.url), 'swarm_balance_last_sample_timestamp_seconds')[0]?.value;
        const age = last === undefined ? 'never' : `${(Date.now() / 1000 - last).toFixed(1)} s ago`;
        throw new Error(
          `${err.message}\nthe agent's last sample: ${age}\nthe service's containers:\n${ps}\nthe extra tasks:\n${tasks}`,
        );
      });
      // No series of any kind is left for a gone task of this service.
      const taskIds = new Set(
        (await scrape(agent.url))
          .filter((s) => s.labels.service === SERVICE && s.labels.task)
          .map((s) => s.labels.task!),
      );
      expect([...taskIds].filter((id) => !running.includes(id))).toEqual([]);

      expect(negative).toEqual([]);
      // Every scrape Prometheus made in the run succeeded.
      const window = `${Math.ceil((Date.now() - started) / 1000)}s`;
      const up = await promQuery(prometheus!.url, `min_over_time(up{job="swarm-balance"}[${window}])`);
      const scrapes = await promQuery(prometheus!.url, `count_over_time(up{job="swarm-balance"}[${window}])`);
      expect((up.data!.result as PromVector[])[0]!.value[1]).toBe('1');
      const count = Number((scrapes.data!.result as PromVector[])[0]!.value[1]);
      console.log(`prometheus: ${count} scrapes, all up`);
      expect(count).toBeGreaterThanOrEqual(Math.floor(CHURN_MS / 5000) - 2);
      // Memory flat: the last third of the run is not above the first third by more than a leak would make it.
      const third = Math.max(1, Math.floor(rss.length / 3));
      const avg = (xs: { kb: number }[]) => xs.reduce((a, x) => a + x.kb, 0) / xs.length;
      const early = avg(rss.slice(0, third));
      const late = avg(rss.slice(-third));
      console.log(`RSS early ${(early / 1024).toFixed(1)} MB, late ${(late / 1024).toFixed(1)} MB`);
      expect(late).toBeLessThan(early * 1.3 + 10 * 1024);
    },
    CHURN_MS + 480_000,
  );
});
