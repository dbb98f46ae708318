// Golden file: the whole /metrics exposition of one fixed agent state, kept in test/golden/metrics.txt,
// so a change of a metric's name, HELP text, labels or order reads as a diff in review.
// After an intended change, update every golden file with one command:  npm run golden
// (vitest run --project unit --update test/unit/golden), then read the diff before committing it.
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateServices, type EvalSettings, type ServiceView } from '../../../src/core/evaluate.js';
import type { DetectorState } from '../../../src/core/detector.js';
import type { TaskReport } from '../../../src/core/types.js';
import { createMetrics, type AgentMetrics, type MetricsSource } from '../../../src/metrics.js';
import { DEFAULT_EVAL_SETTINGS } from '../support/factories.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');
const S = 1000;
const SETTINGS: EvalSettings = { ...DEFAULT_EVAL_SETTINGS, resolveForMs: 60 * S };

/** One running task as its agent reports it; the figures are what /metrics shows for it. */
function task(
  id: string,
  service: string,
  slot: string,
  node: 1 | 2,
  counters: TaskReport['counters'],
  window: TaskReport['window'],
): TaskReport {
  const stack = service.split('_')[0]!;
  return {
    id,
    name: `${service}.${slot}`,
    containerId: `${id.slice(0, 12)}${'0'.repeat(52)}`,
    serviceId: `svc-${service}`,
    serviceName: service,
    stack,
    slot,
    nodeId: `node-id-${node}`,
    nodeName: `node-${node}`,
    health: 'healthy',
    startedAt: NOW - 3_600 * S,
    networks: { [`${stack}_default`]: `10.0.2.${node}` },
    counters,
    window,
    rates: {},
  };
}

const conn = (n: number) => ({ connections: { count: n, events: n, exposure: 60 } });
const req = (n: number) => ({ requests: { count: n, events: n, exposure: 60 }, ...conn(4) });

// shop_web: three replicas, one takes almost every connection (firing for two minutes already).
// shop_api: two replicas with request counters, evenly loaded, with its own threshold.
// monitoring_node-exporter: a global service, one task per node (no verdict with one task here).
// shop_worker: one of its two running tasks has no report (its agent is down).
const TASKS: TaskReport[] = [
  task(
    'web1aaaaaaaaaaaaaaaaaaaaa',
    'shop_web',
    '1',
    1,
    { connectionsAccepted: 9120, connectionsActive: 57, receiveBytes: 8_812_345 },
    conn(570),
  ),
  task(
    'web2bbbbbbbbbbbbbbbbbbbbb',
    'shop_web',
    '2',
    2,
    { connectionsAccepted: 311, connectionsActive: 1, receiveBytes: 201_004 },
    conn(20),
  ),
  task(
    'web3ccccccccccccccccccccc',
    'shop_web',
    '3',
    1,
    { connectionsAccepted: 95, connectionsActive: 0, receiveBytes: 60_210 },
    conn(10),
  ),
  task(
    'api1ddddddddddddddddddddd',
    'shop_api',
    '1',
    1,
    { connectionsAccepted: 40, connectionsActive: 4, receiveBytes: 120_000, requests: 30_512 },
    req(300),
  ),
  task(
    'api2eeeeeeeeeeeeeeeeeeeee',
    'shop_api',
    '2',
    2,
    { connectionsAccepted: 38, connectionsActive: 4, receiveBytes: 118_500, requests: 29_980 },
    req(290),
  ),
  task(
    'nodeexporterfffffffffffff',
    'monitoring_node-exporter',
    'node-id-1',
    1,
    { connectionsAccepted: 12, receiveBytes: 4_096 },
    conn(12),
  ),
  task(
    'worker1gggggggggggggggggg',
    'shop_worker',
    '1',
    1,
    { connectionsAccepted: 0, connectionsActive: 0, receiveBytes: 0 },
    conn(0),
  ),
];

function view(name: string, over: Partial<ServiceView['service']> = {}, unknown = 0): ServiceView {
  return {
    service: {
      id: `svc-${name}`,
      name,
      stack: name.split('_')[0]!,
      labels: {},
      desiredReplicas: null,
      endpointMode: 'vip',
      ports: [],
      ...over,
    },
    tasks: TASKS.filter((t) => t.serviceName === name),
    unknownTasks: Array.from({ length: unknown }, (_, i) => ({ id: `lost${i}`, nodeId: 'node-id-3', slot: '2' })),
  };
}

const VIEWS = [
  view('shop_web', {
    desiredReplicas: 3,
    ports: [{ target: 80, published: 8080, protocol: 'tcp', publishMode: 'ingress' }],
  }),
  view('shop_api', { desiredReplicas: 2, labels: { 'swarm-balance.threshold': '0.7' } }),
  view('monitoring_node-exporter', { endpointMode: 'dnsrr' }),
  view('shop_worker', { desiredReplicas: 2 }, 1),
];
const PREVIOUS = new Map<string, DetectorState>([
  ['svc-shop_web', { state: 'firing', since: NOW - 120 * S, skewedSince: NOW - 180 * S }],
]);
const { results: SERVICES } = evaluateServices(VIEWS, PREVIOUS, SETTINGS, NOW);

/** What an agent on node-1, the evaluator, would expose: its own node's tasks, the swarm's services. */
const SOURCE: MetricsSource = {
  tasks: () => TASKS.filter((t) => t.nodeName === 'node-1'),
  services: () => SERVICES,
  dockerUp: () => true,
  evaluator: () => true,
  peers: () => ({ ok: 2, failed: 1 }),
  samplerRuns: () => [
    { name: 'proc_connections', success: true, durationSeconds: 0.0042, problems: new Map() },
    { name: 'http_requests', success: false, durationSeconds: 0.31, problems: new Map([['timeout', 1]]) },
  ],
  lastSampleSeconds: () => NOW / 1000,
};

/**
 * The families of the process itself (process_*, nodejs_eventloop_lag_*) are left out: their values
 * differ on every run (CPU time, memory, start time, open descriptors, event-loop delay), and the lag
 * series even come and go with the delay histogram. Their names are checked in metrics.test.ts.
 * build_info's `nodejs` and `revision` labels differ per Node.js version and build: masked.
 */
function stable(exposition: string): string {
  const kept: string[] = [];
  let dropping = false;
  for (const line of exposition.split('\n')) {
    // A family's lines and the blank line prom-client writes after them go together.
    if (/^(# (HELP|TYPE) )?(process|nodejs)_/.test(line)) dropping = true;
    else if (dropping && line === '') dropping = false;
    else kept.push(line);
  }
  return kept
    .join('\n')
    .replace(/^(swarm_balance_build_info\{.*)revision="[^"]*"/m, '$1revision="<revision>"')
    .replace(/^(swarm_balance_build_info\{.*)nodejs="[^"]*"/m, '$1nodejs="<nodejs>"');
}

let metrics: AgentMetrics | null = null;
afterAll(() => metrics?.close());

describe('/metrics', () => {
  it('matches test/golden/metrics.txt for a fixed agent state', async () => {
    const created = createMetrics(new Registry(), SOURCE, '0.1.0');
    metrics = created;
    created.samplerErrors.inc({ sampler: 'http_requests', reason: 'timeout' }, 3);
    created.notifications.inc({ channel: 'slack', result: 'sent' }, 2);
    created.notifications.inc({ channel: 'slack', result: 'failed' });
    created.remediations.inc({ service: 'shop_web', action: 'vip-to-dnsrr', result: 'dry_run' });
    created.peerReportsRejected.inc({ reason: 'too-large' });
    const text = stable(await created.exposition.metrics());
    // Guard the masking: the families it removes must be the process's own, and the agent's all stay.
    expect(text).not.toMatch(/^(# \w+ )?(process|nodejs)_/m);
    expect(text).toMatch(/^swarm_balance_service_imbalance\{service="shop_web",stack="shop"\} 0\.9/m);
    await expect(text).toMatchFileSnapshot('../../golden/metrics.txt');
  });
});
