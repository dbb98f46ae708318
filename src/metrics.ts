// Every metric the agent exposes: the agent's own state on an injected prom-client Registry, the
// per-task and per-service series as text from the current state (core/metrics-text.ts), so series
// of gone tasks and services vanish with them.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ServiceResult } from './core/evaluate.js';
import { renderTextFamilies } from './core/metrics-text.js';
import type { TaskReport } from './core/types.js';
import { registerProcessMetrics } from './process-metrics.js';
import type { SamplerRun } from './samplers/registry.js';
import { REVISION } from './version.js';

const gzipAsync = promisify(gzip);
/** zlib's default level: about 1/20 of the text on the wire, made once per interval off the event loop. */
const GZIP_OPTIONS = { level: 6 };

interface TextPart {
  tasks: readonly TaskReport[];
  services: readonly ServiceResult[];
  bytes: Buffer;
  gzip: Promise<Buffer> | null;
}

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
  /** Stops what runs between scrapes (the event-loop delay sampler). */
  close(): void;
  samplerErrors: Counter<'sampler' | 'reason'>;
  notifications: Counter<'channel' | 'result'>;
  remediations: Counter<'service' | 'action' | 'result'>;
  peerReportsRejected: Counter<'reason'>;
}

/** What the server needs to answer /metrics. */
export interface MetricsExposition {
  contentType: string;
  metrics(): Promise<string>;
  /**
   * The same text as bytes, in parts to write one after the other; with `gzip`, each part is a gzip
   * member (a client inflates the members as one stream, RFC 1952 2.2).
   */
  body?(gzip: boolean): Promise<Buffer[]>;
}

export function createMetrics(
  registry: Registry,
  source: MetricsSource,
  version: string,
): AgentMetrics & { exposition: MetricsExposition } {
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (g: Gauge<L>) => void) =>
    new Gauge<L>({
      name: PREFIX + name,
      help,
      labelNames,
      registers,
      collect() {
        this.reset();
        fill(this);
      },
    });

  gauge('up', 'The agent is running; 1.', [], (g) => g.set(1));
  gauge('docker_up', '1 when the last call to the Docker API succeeded.', [], (g) => g.set(source.dockerUp() ? 1 : 0));
  gauge('evaluator', '1 on the agent that evaluates and acts for the swarm.', [], (g) =>
    g.set(source.evaluator() ? 1 : 0),
  );
  gauge('peers', 'Peers by state of their last report.', ['state'], (g) => {
    for (const [state, n] of Object.entries(source.peers())) g.set({ state }, n);
  });
  gauge('sampler_success', "1 when the sampler's last cycle had no error.", ['sampler'], (g) => {
    for (const r of source.samplerRuns()) g.set({ sampler: r.name }, r.success ? 1 : 0);
  });
  gauge('sampler_duration_seconds', "How long the sampler's last cycle took.", ['sampler'], (g) => {
    for (const r of source.samplerRuns()) g.set({ sampler: r.name }, r.durationSeconds);
  });
  gauge('last_sample_timestamp_seconds', 'When the last complete sampling cycle finished (Unix seconds).', [], (g) => {
    const v = source.lastSampleSeconds();
    if (v > 0) g.set(v);
  });
  gauge(
    'build_info',
    'Version, git revision and Node.js version of the agent; 1.',
    ['version', 'revision', 'nodejs'],
    (g) => g.set({ version, revision: REVISION, nodejs: process.versions.node }, 1),
  );
  const processMetrics = registerProcessMetrics(registry);

  // The per-task and per-service families are written as text (core/metrics-text.ts), once per
  // change of the source's reports or results: the agent replaces both once per interval. Their bytes
  // and their gzip member are made once per change too, so an unchanged scrape only renders the
  // agent's own few families; the gzip runs on the thread pool, not on the event loop.
  let cached: TextPart | null = null;
  const textPart = (): TextPart => {
    const tasks = source.tasks();
    const services = source.services();
    if (cached?.tasks !== tasks || cached.services !== services) {
      // Only the bytes are kept: the string would be a second copy of the same megabytes.
      cached = { tasks, services, bytes: Buffer.from(renderTextFamilies(PREFIX, tasks, services)), gzip: null };
    }
    return cached;
  };
  const head = async () => `${await registry.metrics()}\n`;
  const exposition: MetricsExposition = {
    contentType: registry.contentType,
    metrics: async () => `${await head()}${textPart().bytes.toString()}`,
    body: async (gzip) => {
      const part = textPart();
      const first = Buffer.from(await head());
      if (!gzip) return [first, part.bytes];
      part.gzip ??= gzipAsync(part.bytes, GZIP_OPTIONS);
      return Promise.all([gzipAsync(first, GZIP_OPTIONS), part.gzip]);
    },
  };

  return {
    exposition,
    close: () => processMetrics.stop(),
    ...createCounters(registers),
  };
}

/** The counters the agent's parts increase. */
function createCounters(registers: Registry[]): Omit<AgentMetrics, 'close'> {
  return {
    samplerErrors: new Counter({
      name: PREFIX + 'sampler_errors_total',
      help: 'Sampler problems by reason (malformed file or body, refused or timed-out request).',
      labelNames: ['sampler', 'reason'],
      registers,
    }),
    notifications: new Counter({
      name: PREFIX + 'notifications_total',
      help: 'Notifications by channel and result.',
      labelNames: ['channel', 'result'],
      registers,
    }),
    remediations: new Counter({
      name: PREFIX + 'remediations_total',
      help: 'Remediation actions by service, action and result.',
      labelNames: ['service', 'action', 'result'],
      registers,
    }),
    peerReportsRejected: new Counter({
      name: PREFIX + 'peer_reports_rejected_total',
      help: 'Peer reports refused, by reason: a body past the report limits, or a report speaking for more than its own node.',
      labelNames: ['reason'],
      registers,
    }),
  };
}
