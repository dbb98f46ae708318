// Every metric the agent exposes, on an injected Registry. Per-task and per-service series are rebuilt
// from the current state at each scrape, so series of gone tasks and services vanish with them.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ServiceResult } from './core/evaluate.js';
import type { TaskReport } from './core/types.js';
import type { SamplerRun } from './samplers/registry.js';

export const PREFIX = 'swarm_balance_';

export interface MetricsSource {
  tasks(): readonly TaskReport[];
  services(): readonly ServiceResult[];
  dockerUp(): boolean;
  evaluator(): boolean;
  peers(): Readonly<Record<string, number>>;
  samplerRuns(): readonly SamplerRun[];
  lastSampleSeconds(): number;
}

export interface AgentMetrics {
  samplerErrors: Counter<'sampler' | 'reason'>;
  notifications: Counter<'channel' | 'result'>;
  remediations: Counter<'service' | 'action' | 'result'>;
}

const TASK_LABELS = ['service', 'stack', 'task', 'slot', 'node'] as const;
const SERVICE_LABELS = ['service', 'stack'] as const;

function taskLabels(t: TaskReport) {
  return { service: t.serviceName, stack: t.stack, task: t.id, slot: t.slot, node: t.nodeName };
}

export function createMetrics(registry: Registry, source: MetricsSource, version: string): AgentMetrics {
  const registers = [registry];
  const taskCounter = (name: string, help: string, pick: (t: TaskReport) => number | undefined) =>
    new Counter({
      name: PREFIX + name, help, labelNames: TASK_LABELS, registers,
      collect() {
        this.reset();
        for (const t of source.tasks()) {
          const v = pick(t);
          if (v !== undefined) this.inc(taskLabels(t), v);
        }
      },
    });
  taskCounter('task_connections_accepted_total', 'TCP connections the task accepted (PassiveOpens of its network namespace), less the agent\'s own.', (t) => t.counters.connectionsAccepted);
  taskCounter('task_requests_total', 'Requests the task counted itself, for services with swarm-balance.requests.* labels.', (t) => t.counters.requests);
  taskCounter('task_receive_bytes_total', 'Bytes the task received on its non-loopback interfaces.', (t) => t.counters.receiveBytes);

  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>) => void) =>
    new Gauge<L>({ name: PREFIX + name, help, labelNames, registers, collect() { this.reset(); fill(this); } });

  gauge('task_connections_active', 'Established TCP connections in the task\'s network namespace, less the agent\'s own.', TASK_LABELS, (g) => {
    for (const t of source.tasks()) if (t.counters.connectionsActive !== undefined) g.set(taskLabels(t), t.counters.connectionsActive);
  });
  gauge('task_info', 'One series per task on this node; 1.', [...TASK_LABELS, 'task_name', 'container', 'node_id', 'service_id', 'health'], (g) => {
    for (const t of source.tasks()) {
      g.set({ ...taskLabels(t), task_name: t.name, container: t.containerId.slice(0, 12), node_id: t.nodeId, service_id: t.serviceId, health: t.health }, 1);
    }
  });

  const serviceGauge = (name: string, help: string, pick: (s: ServiceResult) => number | null) =>
    gauge(name, help, SERVICE_LABELS, (g) => {
      for (const s of source.services()) {
        const v = pick(s);
        if (v !== null) g.set({ service: s.name, stack: s.stack }, v);
      }
    });
  const statsOf = (s: ServiceResult) => ('stats' in s.verdict && s.verdict.stats ? s.verdict.stats : null);
  serviceGauge('service_replicas', 'Running replicas the evaluator sees.', (s) => s.running);
  serviceGauge('service_top_share', 'Share of the busiest replica over the window (by rate).', (s) => statsOf(s)?.topShare ?? null);
  serviceGauge('service_imbalance', 'Normalized imbalance (s - 1/n) / (1 - 1/n): 0 even, 1 all on one replica.', (s) => statsOf(s)?.imbalance ?? null);
  serviceGauge('service_skewed', '1 while a collapse alert is firing for the service.', (s) => (s.detector.state === 'firing' ? 1 : 0));
  serviceGauge('service_tasks_unknown', 'Running tasks of the service that no agent reported (agent down or node unreachable).', (s) => s.running - s.tasks.length);
  serviceGauge('service_threshold', 'Imbalance threshold in force for the service.', (s) => s.threshold);
  gauge('service_task_share', 'Share of each replica over the window (by rate).', TASK_LABELS, (g) => {
    for (const s of source.services()) {
      for (const t of s.tasks) if (t.share !== null) g.set({ service: s.name, stack: s.stack, task: t.id, slot: t.slot, node: t.nodeName }, t.share);
    }
  });

  gauge('up', 'The agent is running; 1.', [], (g) => g.set(1));
  gauge('docker_up', '1 when the last call to the Docker API succeeded.', [], (g) => g.set(source.dockerUp() ? 1 : 0));
  gauge('evaluator', '1 on the agent that evaluates and acts for the swarm.', [], (g) => g.set(source.evaluator() ? 1 : 0));
  gauge('peers', 'Peers by state of their last report.', ['state'], (g) => {
    for (const [state, n] of Object.entries(source.peers())) g.set({ state }, n);
  });
  gauge('sampler_success', '1 when the sampler\'s last cycle had no error.', ['sampler'], (g) => {
    for (const r of source.samplerRuns()) g.set({ sampler: r.name }, r.success ? 1 : 0);
  });
  gauge('sampler_duration_seconds', 'How long the sampler\'s last cycle took.', ['sampler'], (g) => {
    for (const r of source.samplerRuns()) g.set({ sampler: r.name }, r.durationSeconds);
  });
  gauge('last_sample_timestamp_seconds', 'When the last complete sampling cycle finished (Unix seconds).', [], (g) => {
    const v = source.lastSampleSeconds();
    if (v > 0) g.set(v);
  });
  gauge('build_info', 'Version of the agent; 1.', ['version'], (g) => g.set({ version }, 1));

  return {
    samplerErrors: new Counter({ name: PREFIX + 'sampler_errors_total', help: 'Sampler problems by reason (malformed file or body, refused or timed-out request).', labelNames: ['sampler', 'reason'], registers }),
    notifications: new Counter({ name: PREFIX + 'notifications_total', help: 'Notifications by channel and result.', labelNames: ['channel', 'result'], registers }),
    remediations: new Counter({ name: PREFIX + 'remediations_total', help: 'Remediation actions by service, action and result.', labelNames: ['service', 'action', 'result'], registers }),
  };
}
