// The Grafana dashboard (dashboards/swarm-balance.json) as data: its panels, and every PromQL query in
// it as Grafana would send it for given variable values. Plus the small PromQL reader and the agent's metric
// names the drift checks use. Shared by the static checks and by tests that run the queries against a live
// Prometheus.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { TEXT_FAMILIES } from '../../src/core/metrics-text.js';
import { createMetrics, PREFIX } from '../../src/metrics.js';
import { PROCESS_FAMILIES } from '../../src/process-metrics.js';
import { metricsSource } from './metrics-source.js';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_PATH = fileURLToPath(new URL('../../dashboards/swarm-balance.json', import.meta.url));

export interface DatasourceRef {
  type?: string;
  uid?: string;
}
export interface GridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}
export interface GrafanaTarget {
  refId?: string;
  expr?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  hide?: boolean;
  legendFormat?: string;
  datasource?: DatasourceRef;
}
export interface GrafanaPanel {
  id?: number;
  type: string;
  title?: string;
  datasource?: DatasourceRef | null;
  gridPos?: GridPos;
  targets?: GrafanaTarget[];
  repeat?: string;
  collapsed?: boolean;
  /** Only on rows: the panels of a collapsed row. */
  panels?: GrafanaPanel[];
}
export interface GrafanaVariable {
  name: string;
  type: string;
  label?: string;
  query?: unknown;
  definition?: string;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string | null;
  datasource?: DatasourceRef;
  current?: { value?: string | string[] };
}
export interface GrafanaAnnotation {
  name: string;
  builtIn?: number;
  enable?: boolean;
  datasource?: DatasourceRef;
  expr?: string;
  step?: string;
}
export interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: GrafanaPanel[];
  templating: { list: GrafanaVariable[] };
  annotations: { list: GrafanaAnnotation[] };
  [key: string]: unknown;
}

export function loadDashboard(path = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(path, 'utf8')) as Dashboard;
}

/** Every panel in layout order, rows included, with the row it sits under (null above the first row). */
export function allPanels(d: Dashboard): { panel: GrafanaPanel; row: GrafanaPanel | null }[] {
  const out: { panel: GrafanaPanel; row: GrafanaPanel | null }[] = [];
  let row: GrafanaPanel | null = null;
  for (const p of d.panels) {
    if (p.type === 'row') {
      row = p;
      out.push({ panel: p, row: null });
      for (const inner of p.panels ?? []) out.push({ panel: inner, row: p });
    } else {
      out.push({ panel: p, row });
    }
  }
  return out;
}

/** Variable values: one value, several, or '$__all' (also 'All') for the variable's "All". */
export type VarValues = Record<string, string | readonly string[]>;

export interface QueryOptions {
  dashboard?: Dashboard;
  /** What Grafana puts for $__rate_interval (default 1m), $__interval (15s), $__range (1h). */
  rateInterval?: string;
  interval?: string;
  range?: string;
  /** Also list targets hidden in their panel (default false). */
  includeHidden?: boolean;
}

export interface DashboardQuery {
  source: 'panel' | 'annotation';
  panelId: number | null;
  /** Panel title (variables substituted) or annotation name. */
  title: string;
  refId: string;
  expr: string;
  instant: boolean;
  /** For panels repeated over a variable: the value of this copy. */
  repeat: { variable: string; value: string } | null;
}

const ALL = new Set(['$__all', 'All']);

/** Grafana's escaping of a value for a regex matcher inside a PromQL string. */
export function promRegexEscape(value: string): string {
  return value.replace(/\\/g, '\\\\\\\\').replace(/[$^*{}[\]'+?.()|]/g, '\\\\$&');
}

function durationMs(d: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(d);
  if (!m) throw new Error(`not a duration: ${d}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/**
 * One expression with the dashboard's variables put in, the way Grafana's Prometheus data source does:
 * multi-value and include-all variables are regex-escaped, several values become `(a|b)`, "All" is the
 * variable's allValue. `$var`, `${var}`, `${var:format}` and `[[var]]` are understood. `text` is for
 * titles: values as they are, several joined with ' + '.
 */
export function interpolate(
  expr: string,
  d: Dashboard,
  values: VarValues,
  options: QueryOptions = {},
  format: 'promql' | 'text' = 'promql',
): string {
  const rate = options.rateInterval ?? '1m';
  const interval = options.interval ?? '15s';
  const range = options.range ?? '1h';
  const builtins: Record<string, string> = {
    __rate_interval: rate,
    __interval: interval,
    __interval_ms: String(durationMs(interval)),
    __range: range,
    __range_s: String(durationMs(range) / 1000),
    __range_ms: String(durationMs(range)),
  };
  const variables = new Map(d.templating.list.map((v) => [v.name, v]));
  const valueOf = (name: string): string => {
    if (name in builtins) return builtins[name]!;
    const variable = variables.get(name);
    if (!variable) throw new Error(`expression uses $${name}, which the dashboard does not define: ${expr}`);
    // A variable not given keeps the value the dashboard opens with, when that is "All" (as `job` and `stack` do).
    const opening = variable.current?.value;
    const given = values[name] ?? ([opening].flat().some((v) => v !== undefined && ALL.has(v)) ? '$__all' : undefined);
    if (given === undefined) throw new Error(`no value given for $${name} (used in ${expr})`);
    const list = typeof given === 'string' ? [given] : [...given];
    const regexy = variable.multi === true || variable.includeAll === true;
    if (format === 'text') return list.length === 1 && ALL.has(list[0]!) ? 'All' : list.join(' + ');
    if (list.length === 1 && ALL.has(list[0]!)) {
      if (variable.allValue) return variable.allValue;
      throw new Error(`$${name} is "All" and the variable has no allValue: give its values instead`);
    }
    if (!regexy) return list.join(',').replace(/\\/g, '\\\\').replace(/'/g, "\\'");
    if (typeof given === 'string') return promRegexEscape(given);
    return `(${list.map(promRegexEscape).join('|')})`;
  };
  const out = expr.replace(/\$\{(\w+)(?::\w+)?\}|\[\[(\w+)\]\]|\$(\w+)/g, (_m, a?: string, b?: string, c?: string) =>
    valueOf((a ?? b ?? c)!),
  );
  return out;
}

/**
 * Every PromQL query of the dashboard, panels (rows' panels and repeated copies included) and
 * annotations, with `$service`, `$node`, `$__rate_interval` etc. substituted. A panel or row repeated
 * over a variable yields one copy per value of that variable, each with that single value.
 */
export function dashboardQueries(varValues: VarValues, options: QueryOptions = {}): DashboardQuery[] {
  const d = options.dashboard ?? loadDashboard();
  const out: DashboardQuery[] = [];
  for (const { panel, row } of allPanels(d)) {
    if (panel.type === 'row') continue;
    const repeatVar = panel.repeat ?? row?.repeat;
    const copies: { values: VarValues; repeat: DashboardQuery['repeat'] }[] = [];
    if (repeatVar) {
      const given = varValues[repeatVar];
      if (given === undefined) throw new Error(`panel "${panel.title}" repeats over $${repeatVar}: give its values`);
      const list = typeof given === 'string' ? [given] : [...given];
      if (list.some((v) => ALL.has(v)))
        throw new Error(`panel "${panel.title}" repeats over $${repeatVar}: give its values, not "All"`);
      for (const value of list)
        copies.push({ values: { ...varValues, [repeatVar]: value }, repeat: { variable: repeatVar, value } });
    } else {
      copies.push({ values: varValues, repeat: null });
    }
    for (const copy of copies) {
      for (const t of panel.targets ?? []) {
        if (!t.expr || (t.hide && !options.includeHidden)) continue;
        out.push({
          source: 'panel',
          panelId: panel.id ?? null,
          title: interpolate(panel.title ?? '', d, copy.values, options, 'text'),
          refId: t.refId ?? '',
          expr: interpolate(t.expr, d, copy.values, options),
          instant: t.instant === true && t.range !== true,
          repeat: copy.repeat,
        });
      }
    }
  }
  for (const a of d.annotations.list) {
    if (!a.expr || a.datasource?.type !== 'prometheus') continue;
    out.push({
      source: 'annotation',
      panelId: null,
      title: a.name,
      refId: 'Anno',
      expr: interpolate(a.expr, d, varValues, options),
      instant: false,
      repeat: null,
    });
  }
  return out;
}

// --- PromQL and metrics.ts readers ----------------------------------------------------------------

const PROMQL_KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
  'start',
  'end',
]);

/** Metric names a PromQL expression selects (not functions, keywords, label names or strings). */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/#[^\n]*/g, '')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w:.$])([a-zA-Z_:][\w:]*)(?![\w:])(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || PROMQL_KEYWORDS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

/**
 * Every metric name the agent exposes, from its own code: the prom-client metrics createMetrics
 * registers and the families written as text (src/core/metrics-text.ts, src/process-metrics.ts). Histograms and summaries
 * also get their _bucket/_sum/_count series.
 */
export function agentMetricNames(): string[] {
  const registry = emptyAgentRegistry();
  const names = new Set<string>([...TEXT_FAMILIES.map((f) => PREFIX + f.name), ...PROCESS_FAMILIES.map((f) => f.name)]);
  for (const m of registry.getMetricsAsArray()) {
    const { name, type } = m as unknown as { name: string; type: string };
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return [...names].sort();
}

/** The agent's prom-client registry over an empty state: every family it registers, no series. */
export function emptyAgentRegistry(): Registry {
  const registry = new Registry();
  createMetrics(registry, metricsSource({ lastSampleSeconds: () => 0 }), 'names');
  return registry;
}
