import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { ServiceResult } from '../../src/core/evaluate.js';
import type { TaskReport } from '../../src/core/types.js';
import { createMetrics, type MetricsExposition, type MetricsSource } from '../../src/metrics.js';
import { parsePromText } from '../support/agent-process.js';
import type { SamplerRun } from '../../src/samplers/registry.js';
import { serviceResult, taskShare } from './support/cluster-factories.js';
import { taskReport } from './support/factories.js';

/** A source whose state the test changes between scrapes. */
function fakeSource() {
  const state = {
    tasks: [] as TaskReport[],
    services: [] as ServiceResult[],
    runs: [] as SamplerRun[],
  };
  const source: MetricsSource = {
    tasks: () => state.tasks,
    services: () => state.services,
    dockerUp: () => true,
    evaluator: () => false,
    peers: () => ({ ok: 2, failed: 1 }),
    samplerRuns: () => state.runs,
    lastSampleSeconds: () => 1_764_151_200,
  };
  return { state, source };
}

function setup() {
  const registry = new Registry();
  const { state, source } = fakeSource();
  const metrics = createMetrics(registry, source, '0.1.0');
  return { exposition: metrics.exposition, state, metrics };
}

/** The series of one family as /metrics shows them, after checking its HELP and TYPE lines are there. */
async function series(exposition: MetricsExposition, name: string) {
  const text = await exposition.metrics();
  const full = `swarm_balance_${name}`;
  expect(text).toMatch(new RegExp(`^# HELP ${full} \\S`, 'm'));
  expect(text).toMatch(new RegExp(`^# TYPE ${full} (counter|gauge)$`, 'm'));
  return parsePromText(text)
    .filter((s) => s.name === full)
    .map((s) => ({ labels: s.labels, value: s.value }));
}

const web1 = taskReport({
  id: 'kq3m1m0xk8x2',
  name: 'shop_web.1',
  slot: '1',
  nodeName: 'worker-1',
  nodeId: 'n1',
  health: 'healthy',
  counters: { connectionsAccepted: 42, connectionsActive: 3, receiveBytes: 9000, receivePackets: 90, requests: 400 },
});
const web2 = taskReport({
  id: 'p0o9i8u7y6t5',
  name: 'shop_web.2',
  slot: '2',
  nodeName: 'worker-2',
  nodeId: 'n2',
  counters: { connectionsAccepted: 7, receiveBytes: 100, receivePackets: 2 },
});

const PROCESS_FAMILIES = [
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p99_seconds',
  'process_cpu_seconds_total',
  'process_cpu_system_seconds_total',
  'process_cpu_user_seconds_total',
  'process_max_fds',
  'process_open_fds',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
];

const LABELS_1 = { service: 'shop_web', stack: 'shop', task: 'kq3m1m0xk8x2', slot: '1', node: 'worker-1' };
const LABELS_2 = { service: 'shop_web', stack: 'shop', task: 'p0o9i8u7y6t5', slot: '2', node: 'worker-2' };

function webResult(state: 'ok' | 'firing'): ServiceResult {
  const stats = {
    n: 2,
    events: 300,
    topTaskId: web1.id,
    topShare: 1,
    imbalance: 1,
    shares: [],
    chiSquare: 300,
    pValue: 1e-60,
  };
  return serviceResult({
    verdict: { kind: 'skewed', stats },
    detector: { state, since: 0 },
    tasks: [taskShare(web1, 1), taskShare(web2, 0)],
    hotTask: taskShare(web1, 1),
  });
}

describe('createMetrics', () => {
  it.each([
    [
      'task_connections_accepted_total',
      [
        [LABELS_1, 42],
        [LABELS_2, 7],
      ],
    ],
    [
      'task_receive_bytes_total',
      [
        [LABELS_1, 9000],
        [LABELS_2, 100],
      ],
    ],
    ['task_requests_total', [[LABELS_1, 400]]],
    ['task_connections_active', [[LABELS_1, 3]]],
  ])('exposes %s per task with the labels service, stack, task, slot and node', async (name, expected) => {
    const { exposition, state } = setup();
    state.tasks = [web1, web2];
    expect(await series(exposition, name)).toEqual(
      (expected as [object, number][]).map(([labels, value]) => ({ labels, value })),
    );
  });

  it('exposes one task_info series per task', async () => {
    const { exposition, state } = setup();
    state.tasks = [web1];
    expect(await series(exposition, 'task_info')).toEqual([
      {
        labels: {
          ...LABELS_1,
          task_name: 'shop_web.1',
          container: web1.containerId.slice(0, 12),
          node_id: 'n1',
          service_id: 'svc-web',
          health: 'healthy',
          mode: 'replicated',
        },
        value: 1,
      },
    ]);
  });

  it("drops a task's series on the next scrape once the source no longer has it", async () => {
    const { exposition, state } = setup();
    state.tasks = [web1, web2];
    await exposition.metrics();
    state.tasks = [web2];
    const text = await exposition.metrics();
    expect(text).not.toContain('kq3m1m0xk8x2');
    expect(text).toContain('p0o9i8u7y6t5');
    expect(await series(exposition, 'task_connections_accepted_total')).toEqual([{ labels: LABELS_2, value: 7 }]);
  });

  it("exposes a service's figures while the evaluator reports it and drops them after", async () => {
    const { exposition, state } = setup();
    state.services = [webResult('firing')];
    expect(await series(exposition, 'service_skewed')).toEqual([
      { labels: { service: 'shop_web', stack: 'shop' }, value: 1 },
    ]);
    expect(await series(exposition, 'service_top_share')).toEqual([
      { labels: { service: 'shop_web', stack: 'shop' }, value: 1 },
    ]);
    expect(await series(exposition, 'service_task_share')).toEqual([
      { labels: LABELS_1, value: 1 },
      { labels: LABELS_2, value: 0 },
    ]);
    state.services = [];
    expect(await series(exposition, 'service_skewed')).toEqual([]);
    expect(await series(exposition, 'service_task_share')).toEqual([]);
  });

  it('reports service_skewed 0 while not firing', async () => {
    const { exposition, state } = setup();
    state.services = [webResult('ok')];
    expect(await series(exposition, 'service_skewed')).toEqual([
      { labels: { service: 'shop_web', stack: 'shop' }, value: 0 },
    ]);
  });

  it("exposes the agent's own state", async () => {
    const { exposition, state } = setup();
    state.runs = [
      { name: 'proc_connections', success: true, durationSeconds: 0.004, problems: new Map() },
      { name: 'http_requests', success: false, durationSeconds: 0, problems: new Map([['failed', 1]]) },
    ];
    expect(await series(exposition, 'up')).toEqual([{ labels: {}, value: 1 }]);
    expect(await series(exposition, 'docker_up')).toEqual([{ labels: {}, value: 1 }]);
    expect(await series(exposition, 'evaluator')).toEqual([{ labels: {}, value: 0 }]);
    expect(await series(exposition, 'peers')).toEqual([
      { labels: { state: 'ok' }, value: 2 },
      { labels: { state: 'failed' }, value: 1 },
    ]);
    expect(await series(exposition, 'sampler_success')).toEqual([
      { labels: { sampler: 'proc_connections' }, value: 1 },
      { labels: { sampler: 'http_requests' }, value: 0 },
    ]);
    expect(await series(exposition, 'last_sample_timestamp_seconds')).toEqual([{ labels: {}, value: 1_764_151_200 }]);
    expect(await series(exposition, 'build_info')).toEqual([
      {
        labels: {
          version: '0.1.0',
          revision: expect.stringMatching(/^([0-9a-f]{7,40}(-dirty)?|unknown)$/) as string,
          nodejs: process.versions.node,
        },
        value: 1,
      },
    ]);
  });

  it('counts sampler errors, notifications and remediations on the counters it returns', async () => {
    const { exposition, metrics } = setup();
    metrics.samplerErrors.inc({ sampler: 'proc_connections', reason: 'snmp-no-tcp' }, 2);
    metrics.notifications.inc({ channel: 'slack', result: 'ok' });
    expect(await series(exposition, 'sampler_errors_total')).toEqual([
      { labels: { sampler: 'proc_connections', reason: 'snmp-no-tcp' }, value: 2 },
    ]);
    expect(await series(exposition, 'notifications_total')).toEqual([
      { labels: { channel: 'slack', result: 'ok' }, value: 1 },
    ]);
  });

  it('registers on the registry it is given only, so two agents in one process do not clash', async () => {
    const a = setup();
    const b = setup();
    a.state.tasks = [web1];
    b.state.tasks = [web2];
    expect(await series(a.exposition, 'task_connections_accepted_total')).toEqual([{ labels: LABELS_1, value: 42 }]);
    expect(await series(b.exposition, 'task_connections_accepted_total')).toEqual([{ labels: LABELS_2, value: 7 }]);
  });

  it("names every metric with the swarm_balance_ prefix, but the process's own under their usual names", async () => {
    const { exposition } = setup();
    const names = [...(await exposition.metrics()).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(20);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !n.startsWith('swarm_balance_')).sort()).toEqual(PROCESS_FAMILIES);
  });

  it('escapes label values that hold quotes, backslashes and newlines', async () => {
    const { exposition, state } = setup();
    state.tasks = [
      taskReport({
        id: 't"1',
        name: 'odd.1',
        serviceName: 'a\\b',
        stack: 'line\nbreak',
        nodeName: 'n"x',
        counters: { connectionsAccepted: 5, receiveBytes: 1, receivePackets: 1 },
      }),
    ];
    const text = await exposition.metrics();
    expect(text).toContain(
      'swarm_balance_task_connections_accepted_total{service="a\\\\b",stack="line\\nbreak",task="t\\"1",slot="1",node="n\\"x"} 5\n',
    );
  });

  it("renders the task and service text once per change of the source's reports", async () => {
    const { exposition, state } = setup();
    const task = structuredClone(web1);
    state.tasks = [task];
    // The process's own figures (CPU, event-loop delay) change with every scrape: left out here.
    const own = async () =>
      (await exposition.metrics())
        .split('\n')
        .filter((l) => !/^(# \w+ )?(process|nodejs)_/.test(l))
        .join('\n');
    const first = await own();
    task.counters.connectionsAccepted = 43; // changed in place: not a new state, so the text stays
    expect(await own()).toBe(first);
    state.tasks = [task, web2];
    expect(await exposition.metrics()).toContain('p0o9i8u7y6t5');
  });
});
