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
/** How long one rendering of the agent's own families answers /metrics (MetricsOptions.headMaxAgeMs). */
export const HEAD_MAX_AGE_MS = 1000;

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

export interface MetricsOptions {
  /**
   * A rendering of the agent's own families (its gauges, counters, process_* and nodejs_* series)
   * answers the scrapes that come within this many ms of its start, with its bytes and its gzip
   * member; 0 renders them for every scrape. Scrapes that come while one is being rendered share it.
   * So those series are at most this old (plus the rendering's own time); Prometheus scrapes every
   * 15 s or more, and one that comes later renders them afresh.
   */
  headMaxAgeMs?: number;
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

  const textPart = cachedTextPart(source);
  // The process's families after the registry's, in the same pass: they are read synchronously.
  const head = async () => {
    const registered = await registry.metrics();
    return `${registered}\n${own.text()}`;
  };
  const headPart = reusedHead(head, options.headMaxAgeMs ?? HEAD_MAX_AGE_MS);
  const exposition: MetricsExposition = {
    contentType: registry.contentType,
    metrics: async () => `${await head()}${textBytesOf(textPart()).toString()}`,
    body: async (gzip) => {
      const part = textPart();
      const first = headPart();
      if (!gzip) return [await first.bytes, textBytesOf(part)];
      part.gzip ??= gzipPart(part).catch((err: unknown) => {
        // Not kept: the next scrape compresses again.
        part.gzip = null;
        throw err;
      });
      first.gzip ??= first.bytes.then(storedGzipMember);
      return Promise.all([first.gzip, part.gzip]);
    },
  };

  return {
    exposition,
    close: () => own.stop(),
    ...createCounters(registers),
  };
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

interface HeadPart {
  startedAt: number;
  bytes: Promise<Buffer>;
  gzip: Promise<Buffer> | null;
}

/** The last rendering of the agent's own families while it is in flight or younger than `maxAgeMs`, else a new one. */
function reusedHead(render: () => Promise<string>, maxAgeMs: number): () => HeadPart {
  let last: HeadPart | null = null;
  let inFlight = false;
  return () => {
    const now = performance.now();
    if (last && (inFlight || now - last.startedAt < maxAgeMs)) return last;
    const part: HeadPart = { startedAt: now, bytes: render().then((text) => Buffer.from(text)), gzip: null };
    last = part;
    inFlight = true;
    part.bytes.then(
      () => {
        inFlight = false;
      },
      () => {
        // A failed rendering is not kept: the next scrape tries again.
        inFlight = false;
        if (last === part) last = null;
      },
    );
    return part;
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
