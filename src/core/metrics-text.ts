// The per-task and per-service metric families, written straight to Prometheus text.
// They are the agent's high-cardinality part (five task series per task, nine per service plus one
// per replica): through prom-client's per-series objects 10,000 series took ~32 ms a scrape, written
// here ~3 ms (BENCHMARKS.md, metrics-scrape). Pure: the series come from the reports and results alone.
import type { ServiceResult } from './evaluate.js';
import type { TaskReport } from './types.js';

/**
 * A task's service mode from its slot: Swarm numbers the tasks of a replicated service (1, 2, …) and
 * names those of a global service after their node, so workers, which see no service specs, know it
 * too. Compose replicas are numbered: replicated.
 */
export function taskMode(slot: string): 'replicated' | 'global' {
  return /^\d+$/.test(slot) ? 'replicated' : 'global';
}

export interface TextFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
}

const family = (name: string, type: TextFamily['type'], help: string): TextFamily => ({ name, type, help });

export const TASK_FAMILIES = {
  accepted: family(
    'task_connections_accepted_total',
    'counter',
    "TCP connections the task accepted (PassiveOpens of its network namespace), less the agent's own.",
  ),
  requests: family(
    'task_requests_total',
    'counter',
    'Requests the task counted itself, for services with swarm-balance.requests.* labels.',
  ),
  receiveBytes: family(
    'task_receive_bytes_total',
    'counter',
    'Bytes the task received on its non-loopback interfaces.',
  ),
  active: family(
    'task_connections_active',
    'gauge',
    "Established TCP connections in the task's network namespace, less the agent's own.",
  ),
  info: family(
    'task_info',
    'gauge',
    "One series per task on this node; 1. mode: replicated or global (the service's mode).",
  ),
} as const;

export const SERVICE_FAMILIES = {
  replicas: family('service_replicas', 'gauge', 'Running replicas the evaluator sees.'),
  topShare: family('service_top_share', 'gauge', 'Share of the busiest replica over the window (by rate).'),
  imbalance: family(
    'service_imbalance',
    'gauge',
    'Normalized imbalance (s - 1/n) / (1 - 1/n): 0 even, 1 all on one replica.',
  ),
  skewed: family('service_skewed', 'gauge', '1 while a collapse alert is firing for the service.'),
  unknown: family(
    'service_tasks_unknown',
    'gauge',
    'Running tasks of the service that no agent reported (agent down or node unreachable).',
  ),
  threshold: family('service_threshold', 'gauge', 'Imbalance threshold in force for the service.'),
  taskShare: family('service_task_share', 'gauge', 'Share of each replica over the window (by rate).'),
  carrying: family(
    'service_replicas_carrying',
    'gauge',
    "Replicas that carry the service's traffic: all but the idle ones.",
  ),
  idle: family(
    'service_replicas_idle',
    'gauge',
    'Replicas that receive (significantly) almost nothing: at most 1 - threshold of a fair share, p < 0.001.',
  ),
} as const;

const statsOf = (s: ServiceResult) => ('stats' in s.verdict && s.verdict.stats ? s.verdict.stats : null);

/** The per-task counter families and what each takes of a task's report (undefined: not measured). */
export const TASK_VALUES: readonly (readonly [TextFamily, (t: TaskReport) => number | undefined])[] = [
  [TASK_FAMILIES.accepted, (t) => t.counters.connectionsAccepted],
  [TASK_FAMILIES.requests, (t) => t.counters.requests],
  [TASK_FAMILIES.receiveBytes, (t) => t.counters.receiveBytes],
  [TASK_FAMILIES.active, (t) => t.counters.connectionsActive],
];

/** The per-service families and what each takes of a service's result (null: unknown, left out). */
export const SERVICE_VALUES: readonly (readonly [TextFamily, (s: ServiceResult) => number | null])[] = [
  [SERVICE_FAMILIES.replicas, (s) => s.running],
  [SERVICE_FAMILIES.topShare, (s) => statsOf(s)?.topShare ?? null],
  [SERVICE_FAMILIES.imbalance, (s) => statsOf(s)?.imbalance ?? null],
  [SERVICE_FAMILIES.skewed, (s) => (s.detector.state === 'firing' ? 1 : 0)],
  [SERVICE_FAMILIES.unknown, (s) => s.running - s.tasks.length],
  [SERVICE_FAMILIES.threshold, (s) => s.threshold],
  [SERVICE_FAMILIES.carrying, (s) => (s.spread ? s.spread.carrying.length : null)],
  [SERVICE_FAMILIES.idle, (s) => (s.spread ? s.spread.idle.length : null)],
];

export const TEXT_FAMILIES: readonly TextFamily[] = [
  ...Object.values(TASK_FAMILIES),
  ...Object.values(SERVICE_FAMILIES),
];

const NEEDS_ESCAPE = /[\\\n"]/;
/** A label value as the exposition format wants it: backslash, newline and double quote escaped. */
const esc = (v: string): string =>
  NEEDS_ESCAPE.test(v) ? v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : v;
const num = (v: number): string =>
  Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);

/** Writes the families above with `prefix` on every name; a family with no series keeps its HELP and TYPE. */
export function renderTextFamilies(
  prefix: string,
  tasks: readonly TaskReport[],
  services: readonly ServiceResult[],
): string {
  const parts: string[] = [];
  writeTextFamilies(prefix, tasks, services, (text) => parts.push(text));
  return parts.join('');
}

/** About how much text writeTextFamilies hands over at a time. */
export const TEXT_BATCH_CHARS = 16 * 1024;

/**
 * The same text, handed to `write` in pieces of about TEXT_BATCH_CHARS: the lines of one piece are
 * garbage as soon as it is written, rather than all 10,000 of them kept (and promoted to the old
 * generation by the scavenges they cause) until one megabytes-long string is joined.
 */
export function writeTextFamilies(
  prefix: string,
  tasks: readonly TaskReport[],
  services: readonly ServiceResult[],
  write: (text: string) => void,
): void {
  const out: string[] = [];
  let pending = 0;
  const flush = () => {
    if (out.length === 0) return;
    write(out.join(''));
    out.length = 0;
    pending = 0;
  };
  const push = (text: string) => {
    out.push(text);
    pending += text.length;
    if (pending >= TEXT_BATCH_CHARS) flush();
  };
  const header = (f: TextFamily) =>
    push(
      `# HELP ${prefix}${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${prefix}${f.name} ${f.type}\n`,
    );
  const line = (f: TextFamily, labels: string, value: number) => push(`${prefix}${f.name}{${labels}} ${num(value)}\n`);

  /** One family: a line per item with a known value (null or undefined: left out), under the item's labels. */
  const family = <T>(
    f: TextFamily,
    items: readonly T[],
    labels: readonly string[],
    pick: (x: T) => number | null | undefined,
  ) => {
    header(f);
    items.forEach((x, i) => {
      const v = pick(x);
      if (v !== null && v !== undefined) line(f, labels[i]!, v);
    });
  };

  // Each task's five labels are escaped and joined once, then used by all five task families.
  const taskLabels = tasks.map(
    (t) =>
      `service="${esc(t.serviceName)}",stack="${esc(t.stack)}",task="${esc(t.id)}",slot="${esc(t.slot)}",node="${esc(t.nodeName)}"`,
  );
  for (const [f, pick] of TASK_VALUES) family(f, tasks, taskLabels, pick);
  header(TASK_FAMILIES.info);
  tasks.forEach((t, i) =>
    line(
      TASK_FAMILIES.info,
      `${taskLabels[i]!},task_name="${esc(t.name)}",container="${esc(t.containerId.slice(0, 12))}",node_id="${esc(t.nodeId)}",service_id="${esc(t.serviceId)}",health="${esc(t.health)}",mode="${taskMode(t.slot)}"`,
      1,
    ),
  );

  const serviceLabels = services.map((s) => `service="${esc(s.name)}",stack="${esc(s.stack)}"`);
  for (const [f, pick] of SERVICE_VALUES) family(f, services, serviceLabels, pick);
  header(SERVICE_FAMILIES.taskShare);
  services.forEach((s, i) => {
    for (const t of s.tasks) {
      if (t.share !== null)
        line(
          SERVICE_FAMILIES.taskShare,
          `${serviceLabels[i]!},task="${esc(t.id)}",slot="${esc(t.slot)}",node="${esc(t.nodeName)}"`,
          t.share,
        );
    }
  });
  flush();
}
