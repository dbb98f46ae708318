// Every metric the agent exposes: the agent's own state on an injected prom-client Registry, the
// per-task and per-service series as text from the current state (core/metrics-text.ts), so series
// of gone tasks and services vanish with them.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ServiceResult } from './core/evaluate.js';
import { writeTextFamilies } from './core/metrics-text.js';
import type { TaskReport } from './core/types.js';
import { storedGzipMember } from './gzip-member.js';
import { processMetrics } from './process-metrics.js';
import type { SamplerRun } from './samplers/registry.js';
import { REVISION } from './version.js';

const gzipAsync = promisify(gzip);
/** zlib's default level: about 1/20 of the text on the wire, made once per interval off the event loop. */
const GZIP_OPTIONS = { level: 6 };
/** How long one reading of the process's families answers /metrics: scrapes back to back share it. */
export const PROCESS_MAX_AGE_MS = 1000;

interface TextPart {
  tasks: readonly TaskReport[];
  services: readonly ServiceResult[];
  /** The text; let go once its gzip member is made, and written again if a client asks for it uncompressed. */
  bytes: Buffer | null;
  gzip: Promise<Buffer> | null;
  /** The length of this text once written, else of the one before it: the text changes little. */
  sizeHint: number | undefined;
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

/** A prom-client counter as the agent's parts see it: each increase marks the agent's own families changed. */
export interface CountBy<L extends string> {
  inc(labels: Partial<Record<L, string | number>>, value?: number): void;
}

export interface AgentMetrics {
  /** Stops what runs between scrapes (the event-loop delay sampler). */
  close(): void;
  samplerErrors: CountBy<'sampler' | 'reason'>;
  notifications: CountBy<'channel' | 'result'>;
  remediations: CountBy<'service' | 'action' | 'result'>;
  peerReportsRejected: CountBy<'reason'>;
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

export interface MetricsOptions {
  /**
   * The registry's rendering (the agent's gauges and counters) answers every scrape until something it
   * shows changes: the source's figures or a counter. false renders it for every scrape. The registry
   * is the agent's own: a metric registered on it from outside is rendered only with those changes.
   * The process's families are read again once their reading is PROCESS_MAX_AGE_MS old (Prometheus
   * scrapes every 15 s or more); false reads them for every scrape too.
   */
  reuseOwnFamilies?: boolean;
}

export function createMetrics(
  registry: Registry,
  source: MetricsSource,
  version: string,
  options: MetricsOptions = {},
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
  const own = processMetrics();
  let changes = 0;
  const counters = createCounters(registers, () => changes++);

  const textPart = cachedTextPart(source);
  const reuse = options.reuseOwnFamilies !== false;
  const registryPart = reusedRendering(
    () => registry.metrics(),
    reuse ? () => ownFamiliesKey(source, changes) : () => null,
  );
  // The process's families after the registry's, in one synchronous pass.
  const processPart = reusedReading(() => Buffer.from(`\n${own.text()}`), reuse ? PROCESS_MAX_AGE_MS : 0);
  const exposition: MetricsExposition = {
    contentType: registry.contentType,
    metrics: async () => `${await registry.metrics()}\n${own.text()}${textBytesOf(textPart()).toString()}`,
    body: async (gzip) => {
      const part = textPart();
      const registered = registryPart();
      const proc = processPart();
      if (!gzip) return [await registered.bytes, proc.bytes, textBytesOf(part)];
      part.gzip ??= gzipPart(part).catch((err: unknown) => {
        // Not kept: the next scrape compresses again.
        part.gzip = null;
        throw err;
      });
      registered.gzip ??= registered.bytes.then(storedGzipMember);
      proc.gzip ??= storedGzipMember(proc.bytes);
      return Promise.all([registered.gzip, proc.gzip, part.gzip]);
    },
  };

  return {
    exposition,
    close: () => own.stop(),
    ...counters,
  };
}

/**
 * What the registry's families show, as one string: equal strings, equal renderings. The gauges read
 * only these; `changes` counts the counters' increases.
 */
function ownFamiliesKey(source: MetricsSource, changes: number): string {
  const runs = source.samplerRuns().map((r) => `${r.name}:${r.success}:${r.durationSeconds}`);
  const peers = Object.entries(source.peers()).map(([state, n]) => `${state}:${n}`);
  return `${source.dockerUp()} ${source.evaluator()} ${source.lastSampleSeconds()} ${changes} ${peers.join()} ${runs.join()}`;
}

/**
 * The per-task and per-service families are written as text (core/metrics-text.ts), once per change
 * of the source's reports or results: the agent replaces both once per interval. Their gzip member is
 * made once per change too (their bytes once per change and encoding asked), so an unchanged scrape only
 * adds the agent's own few families; the gzip runs on the thread pool, not on the event loop.
 */
function cachedTextPart(source: MetricsSource): () => TextPart {
  let cached: TextPart | null = null;
  return () => {
    const tasks = source.tasks();
    const services = source.services();
    if (cached?.tasks !== tasks || cached.services !== services) {
      cached = { tasks, services, bytes: null, gzip: null, sizeHint: cached?.sizeHint };
    }
    return cached;
  };
}

/** The part's text, written now if it was let go (or never written). */
function textBytesOf(part: TextPart): Buffer {
  if (!part.bytes) {
    // Only the bytes are kept, written piece by piece: no string of the whole text is ever made.
    part.bytes = textBytes((write) => writeTextFamilies(PREFIX, part.tasks, part.services, write), part.sizeHint);
    part.sizeHint = part.bytes.length;
  }
  return part.bytes;
}

/**
 * The part's gzip member, made on the thread pool. Prometheus always asks for gzip, so the text is let
 * go once compressed: at 500 tasks that is ~0.5 MB less held between intervals.
 */
async function gzipPart(part: TextPart): Promise<Buffer> {
  const bytes = textBytesOf(part);
  const member = await gzipAsync(bytes, GZIP_OPTIONS);
  if (part.bytes === bytes) part.bytes = null;
  return member;
}

/**
 * The text `render` writes, as UTF-8 bytes in one Buffer sized after `sizeHint` (the last rendering's
 * length: the text changes little from one interval to the next).
 */
export function textBytes(render: (write: (text: string) => void) => void, sizeHint = 64 * 1024): Buffer {
  let buf = Buffer.allocUnsafe(Math.ceil(sizeHint * 1.125));
  let used = 0;
  render((text) => {
    const need = used + Buffer.byteLength(text);
    if (need > buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, buf.length * 2));
      buf.copy(bigger, 0, 0, used);
      buf = bigger;
    }
    used += buf.write(text, used);
  });
  // A view would keep the spare capacity for the life of the part; past a quarter of it, copy.
  return used < buf.length * 0.75 ? Buffer.from(buf.subarray(0, used)) : buf.subarray(0, used);
}

interface Rendering {
  key: string | null;
  bytes: Promise<Buffer>;
  gzip: Promise<Buffer> | null;
}

/**
 * The last rendering while `key()` gives what it gave then (null: a rendering per call), else a new
 * one; a failed rendering is not kept.
 */
function reusedRendering(render: () => Promise<string>, key: () => string | null): () => Rendering {
  let last: Rendering | null = null;
  return () => {
    const now = key();
    if (now !== null && last?.key === now) return last;
    const part: Rendering = { key: now, bytes: render().then((text) => Buffer.from(text)), gzip: null };
    last = part;
    part.bytes.catch(() => {
      if (last === part) last = null;
    });
    return part;
  };
}

interface Reading {
  startedAt: number;
  bytes: Buffer;
  gzip: Buffer | null;
}

/** The last reading while younger than `maxAgeMs`, else a new one (0: a reading per call). */
function reusedReading(read: () => Buffer, maxAgeMs: number): () => Reading {
  let last: Reading | null = null;
  return () => {
    const now = performance.now();
    if (last && now - last.startedAt < maxAgeMs) return last;
    last = { startedAt: now, bytes: read(), gzip: null };
    return last;
  };
}

/** The counters the agent's parts increase; `changed` hears of every increase. */
function createCounters(registers: Registry[], changed: () => void): Omit<AgentMetrics, 'close'> {
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): CountBy<L> => {
    const c = new Counter<L>({ name: PREFIX + name, help, labelNames, registers });
    return {
      inc(labels, value) {
        c.inc(labels, value);
        changed();
      },
    };
  };
  return {
    samplerErrors: counter(
      'sampler_errors_total',
      'Sampler problems by reason (malformed file or body, refused or timed-out request).',
      ['sampler', 'reason'],
    ),
    notifications: counter('notifications_total', 'Notifications by channel and result.', ['channel', 'result']),
    remediations: counter('remediations_total', 'Remediation actions by service, action and result.', [
      'service',
      'action',
      'result',
    ]),
    peerReportsRejected: counter(
      'peer_reports_rejected_total',
      'Peer reports refused, by reason: a body past the report limits, or a report speaking for more than its own node.',
      ['reason'],
    ),
  };
}
