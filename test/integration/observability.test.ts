// The observability files users install next to the agent: Prometheus rules (alerts/), the Alertmanager
// example, the Grafana dashboard (dashboards/). Checked with the real tools (promtool, amtool), against
// the metric names src/metrics.ts defines (the drift check), and end to end: a real Prometheus scrapes
// the agent's real metrics code serving a collapsed service, evaluates the rules, and a real
// Alertmanager with the example configuration delivers to Slack and the Teams relay (local stand-ins).
// Every dashboard query then runs in that Prometheus. No Docker needed.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceResult } from '../../src/core/evaluate.js';
import type { TaskReport } from '../../src/core/types.js';
import { createMetrics, type AgentMetrics } from '../../src/metrics.js';
import { getJson, waitFor } from '../support/agent-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
import { captureServer } from '../support/capture-server.js';
import { promQuery, runDashboardQueries, stopDaemon, type Daemon, type PromVector } from '../support/daemons.js';
import { metricsSource } from '../support/metrics-source.js';
import { startAlertmanager, startPrometheus } from '../support/monitoring.js';
import {
  agentMetricNames,
  allPanels,
  dashboardQueries,
  loadDashboard,
  metricNamesIn,
  REPO_ROOT,
  type Dashboard,
  type GrafanaPanel,
} from '../support/dashboard.js';

const execFileP = promisify(execFile);
const RULES = 'alerts/swarm-balance.rules.yml';
const RULES_TEST = 'alerts/swarm-balance.rules.test.yml';
/** The subset-collapse group's tests (test/integration/subset-rules.test.ts runs them). */
const SUBSET_RULES_TEST = 'alerts/swarm-balance.subset.rules.test.yml';
const AM_CONFIG = 'alerts/alertmanager.example.yml';
const AM_TEMPLATE = 'alerts/swarm-balance.tmpl';
const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

/** Built-in series Prometheus itself makes, allowed in rules and dashboard besides the agent's. */
const PROMETHEUS_SERIES = ['up', 'ALERTS', 'ALERTS_FOR_STATE'];

interface RunResult {
  code: number;
  output: string;
}

/** Runs a tool from the repository root; the result carries the exit code and all it printed. */
async function tool(cmd: string, args: string[], timeout = 60_000): Promise<RunResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { cwd: REPO_ROOT, timeout });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') {
      throw new Error(
        `${cmd} is not installed: apt-get install prometheus prometheus-alertmanager (.ci/run installs them)`,
      );
    }
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.stdout || e.stderr ? '' : e.message}`,
    };
  }
}

/** Fails with the tool's whole output when it exits non-zero; logs it either way. */
async function mustPass(cmd: string, args: string[]): Promise<string> {
  const r = await tool(cmd, args);
  const line = `$ ${cmd} ${args.join(' ')}  (exit ${r.code})\n${r.output}`;
  if (r.code !== 0) throw new Error(line);
  console.log(line.trimEnd());
  return r.output;
}

// --- a minimal YAML reader for the keys the checks need (no YAML library is a dependency) ----------

/** Values of `key:` anywhere in a YAML text: plain, quoted, or block scalars (`|`, `>-`, ...). */
function yamlValues(text: string, key: string): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  const re = new RegExp(`^(\\s*)(- )?${key}:\\s*(.*)$`);
  for (let i = 0; i < lines.length; i++) {
    const m = re.exec(lines[i]!);
    if (!m) continue;
    const indent = m[1]!.length + (m[2] ? 2 : 0);
    let value = m[3]!.trim();
    if (/^[|>][-+]?$/.test(value)) {
      const body: string[] = [];
      while (i + 1 < lines.length && (lines[i + 1]!.trim() === '' || lines[i + 1]!.search(/\S/) > indent))
        body.push(lines[++i]!);
      value = body.join('\n').trim();
    } else if (/^'.*'$/.test(value)) {
      value = value.slice(1, -1).replace(/''/g, "'");
    } else if (/^".*"$/.test(value)) {
      value = JSON.parse(value) as string;
    }
    out.push(value);
  }
  return out;
}

/** The rules file cut into one chunk per rule (from `- record:` or `- alert:` to the next). */
function ruleChunks(text: string): { kind: 'record' | 'alert'; name: string; text: string }[] {
  const starts = [...text.matchAll(/^\s*- (record|alert):\s*(\S+)\s*$/gm)];
  return starts.map((m, i) => ({
    kind: m[1] as 'record' | 'alert',
    name: m[2]!,
    text: text.slice(m.index, starts[i + 1]?.index ?? text.length),
  }));
}

const agentMetrics = agentMetricNames();
const rulesText = read(RULES);
const recordedNames = [
  ...new Set(
    ruleChunks(rulesText)
      .filter((r) => r.kind === 'record')
      .map((r) => r.name),
  ),
];
const alertNames = ruleChunks(rulesText)
  .filter((r) => r.kind === 'alert')
  .map((r) => r.name);

function unknownMetrics(exprs: readonly string[], allowed: readonly string[]): { expr: string; names: string[] }[] {
  const known = new Set(allowed);
  return exprs
    .map((expr) => ({ expr, names: metricNamesIn(expr).filter((n) => !known.has(n)) }))
    .filter((r) => r.names.length > 0);
}

describe('the metric list read from src/metrics.ts', () => {
  it('is there and holds the metrics the rules and dashboard are built on', () => {
    expect(agentMetrics.length).toBeGreaterThanOrEqual(20);
    for (const name of [
      'swarm_balance_up',
      'swarm_balance_task_info',
      'swarm_balance_task_receive_bytes_total',
      'swarm_balance_service_skewed',
      'swarm_balance_remediations_total',
    ]) {
      expect(agentMetrics).toContain(name);
    }
  });

  it('reads PromQL metric names and nothing else', () => {
    expect(
      metricNamesIn(
        'sum by (service, node) (rate(foo_total{service=~"$service", a="b"}[$__rate_interval])) / on (service) group_left () bar or vector(0)',
      ),
    ).toEqual(['foo_total', 'bar']);
    expect(
      metricNamesIn(
        'label_replace(up == 0 and on (job) count by (job) (x:y:z), "reason", "a b", "", "") unless x offset 15m',
      ),
    ).toEqual(['up', 'x:y:z', 'x']);
    expect(metricNamesIn('time() - swarm_balance_last_sample_timestamp_seconds > 1e3')).toEqual([
      'swarm_balance_last_sample_timestamp_seconds',
    ]);
  });
});

describe('alerting rules (alerts/swarm-balance.rules.yml)', () => {
  it('pass promtool check rules', async () => {
    const out = await mustPass('promtool', ['check', 'rules', RULES]);
    expect(out).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('pass their unit tests (promtool test rules)', async () => {
    const out = await mustPass('promtool', ['test', 'rules', RULES_TEST]);
    expect(out).toMatch(/SUCCESS/);
  });

  it('use only metrics the agent exposes (drift check against src/metrics.ts)', () => {
    const exprs = yamlValues(rulesText, 'expr');
    expect(exprs.length).toBe(ruleChunks(rulesText).length);
    expect(unknownMetrics(exprs, [...agentMetrics, ...recordedNames, ...PROMETHEUS_SERIES])).toEqual([]);
    // Every metric the rules read comes from the agent or Prometheus, so every one of them must be used.
    const used = new Set(exprs.flatMap(metricNamesIn));
    for (const name of [
      'swarm_balance_task_connections_accepted_total',
      'swarm_balance_task_receive_bytes_total',
      'swarm_balance_task_info',
      'swarm_balance_sampler_success',
      'swarm_balance_evaluator',
      'swarm_balance_remediations_total',
      'swarm_balance_docker_up',
      'swarm_balance_up',
    ]) {
      expect(used, name).toContain(name);
    }
  });

  it('are unit-tested with series the agent really exposes', () => {
    const series = yamlValues(read(RULES_TEST), 'series');
    expect(series.length).toBeGreaterThan(20);
    const names = [...new Set(series.map((s) => /^([a-zA-Z_:][\w:]*)/.exec(s)?.[1] ?? s))];
    expect(names.filter((n) => !agentMetrics.includes(n) && !PROMETHEUS_SERIES.includes(n))).toEqual([]);
  });

  it('have a test for each alert, firing and not firing', () => {
    const testText = read(RULES_TEST) + read(SUBSET_RULES_TEST);
    for (const alert of alertNames) {
      const blocks = [...testText.matchAll(new RegExp(`alertname: ${alert}\\n\\s*exp_alerts:(.*)`, 'g'))].map((m) =>
        m[1]!.trim(),
      );
      expect(blocks, `${alert}: never expected not to fire`).toContain('[]');
      expect(
        blocks.some((b) => b === ''),
        `${alert}: never expected to fire`,
      ).toBe(true);
    }
  });

  it('give every alert a severity, a summary and a description, and document every rule in alerts/README.md', () => {
    const readme = read('alerts/README.md');
    expect(alertNames).toEqual([
      'SwarmServiceTrafficCollapsed',
      'SwarmBalanceAgentMissing',
      'SwarmBalanceSamplerFailing',
      'SwarmBalanceNoEvaluator',
      'SwarmBalanceRemediationFailed',
      'SwarmBalanceDockerDown',
      'SwarmServiceTrafficCollapsedOntoSubset',
    ]);
    for (const rule of ruleChunks(rulesText)) {
      if (rule.kind === 'alert') {
        expect(rule.text, rule.name).toMatch(/severity: (warning|critical)/);
        expect(rule.text, rule.name).toMatch(/summary:/);
        expect(rule.text, rule.name).toMatch(/description:/);
      }
      expect(readme, `${rule.name} is not in alerts/README.md`).toContain(rule.name);
    }
  });
});

describe('Alertmanager example (alerts/alertmanager.example.yml)', () => {
  it('passes amtool check-config', async () => {
    const out = await mustPass('amtool', ['check-config', AM_CONFIG]);
    expect(out).toMatch(/SUCCESS/);
    expect(out).toMatch(/1 templates/);
  });

  it("holds collapses without a message (the agents post them) and routes the agents' health to the ops receiver", async () => {
    const route = async (...labels: string[]) =>
      (await mustPass('amtool', ['config', 'routes', 'test', `--config.file=${AM_CONFIG}`, ...labels]))
        .split('\n')[0]!
        .trim();
    expect(await route('alertname=SwarmServiceTrafficCollapsed', 'service=shop_web', 'severity=warning')).toBe(
      'swarm-balance-traffic-held',
    );
    expect(
      await route('alertname=SwarmServiceTrafficCollapsedOntoSubset', 'service=shop_web', 'severity=warning'),
    ).toBe('swarm-balance-traffic-held');
    for (const alert of alertNames.filter((a) => !a.startsWith('SwarmServiceTrafficCollapsed'))) {
      expect(await route(`alertname=${alert}`, 'severity=warning'), alert).toBe('swarm-balance-ops');
    }
    expect(await route('alertname=SwarmBalanceRemediationFailed', 'severity=critical')).toBe('swarm-balance-ops');
    expect(await route('alertname=SomethingElse')).toBe('default');
  });

  it('has no integration on the collapse receiver, no Slack channel override and no undefined relay', () => {
    const text = read(AM_CONFIG);
    const held = /- name: swarm-balance-traffic-held\n([\s\S]*?)\n {2}- name:/.exec(text);
    expect(held, 'the swarm-balance-traffic-held receiver').not.toBeNull();
    expect(held![1]!.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))).toEqual([]);
    expect(text).not.toMatch(/^\s+channel:/m);
    expect(text).not.toContain('teams-relay');
    expect(text).not.toMatch(/^\s+- url:/m);
  });
});

// --- the dashboard ---------------------------------------------------------------------------------

const VALUES = { service: ['shop_web', 'api'], node: '$__all' } as const;

describe('Grafana dashboard (dashboards/swarm-balance.json)', () => {
  const d: Dashboard = loadDashboard();
  const panels = allPanels(d).map((p) => p.panel);

  it('is a current Grafana dashboard with the datasource, job (swarm), stack, service and node variables', () => {
    expect(d.uid).toBe('swarm-balance');
    expect(d.title).toBe('swarm-balance');
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'job', 'stack', 'service', 'node']);
    const vars = Object.fromEntries(d.templating.list.map((v) => [v.name, v]));
    expect(vars.datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.job).toMatchObject({
      type: 'query',
      multi: false,
      includeAll: true,
      allValue: '.*',
      definition: 'label_values(swarm_balance_up, job)',
    });
    expect(vars.stack).toMatchObject({
      type: 'query',
      multi: true,
      includeAll: true,
      allValue: '.*',
      definition: 'label_values(swarm_balance_task_info{job=~"$job"}, stack)',
    });
    expect(vars.service).toMatchObject({
      type: 'query',
      multi: true,
      includeAll: true,
      definition: 'label_values(swarm_balance_task_info{job=~"$job", stack=~"$stack"}, service)',
    });
    expect(vars.node).toMatchObject({
      type: 'query',
      definition: 'label_values(swarm_balance_task_info{job=~"$job"}, node)',
    });
    for (const v of d.templating.list.filter((x) => x.type === 'query')) {
      expect(v.datasource, v.name).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect((v.query as { query?: string }).query, v.name).toBe(v.definition);
    }
  });

  it('gives every panel the ${datasource} data source, a unique id and a place on the 24-column grid', () => {
    const ids = panels.map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const problems: string[] = [];
    for (const p of panels) {
      const name = `panel ${p.id} "${p.title}"`;
      if (p.datasource?.uid !== '${datasource}' || p.datasource.type !== 'prometheus')
        problems.push(`${name}: datasource ${JSON.stringify(p.datasource)}`);
      for (const t of p.targets ?? []) {
        if (t.datasource && t.datasource.uid !== '${datasource}')
          problems.push(`${name} ${t.refId}: target datasource ${JSON.stringify(t.datasource)}`);
        if (!t.refId || !t.expr) problems.push(`${name}: target without refId or expr`);
      }
      const refIds = (p.targets ?? []).map((t) => t.refId);
      if (new Set(refIds).size !== refIds.length) problems.push(`${name}: duplicate refIds`);
      if (p.type !== 'row' && (p.targets ?? []).length === 0) problems.push(`${name}: no query`);
      const g = p.gridPos;
      if (
        !g ||
        ![g.x, g.y, g.w, g.h].every((n) => Number.isInteger(n) && n >= 0) ||
        g.w < 1 ||
        g.h < 1 ||
        g.x + g.w > 24
      ) {
        problems.push(`${name}: gridPos ${JSON.stringify(g)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lays the panels out without overlaps', () => {
    const top = d.panels.filter(
      (p): p is GrafanaPanel & { gridPos: NonNullable<GrafanaPanel['gridPos']> } => p.gridPos !== undefined,
    );
    const overlaps: string[] = [];
    for (let i = 0; i < top.length; i++) {
      for (let j = i + 1; j < top.length; j++) {
        const a = top[i]!.gridPos;
        const b = top[j]!.gridPos;
        if (a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h)
          overlaps.push(`${top[i]!.id} and ${top[j]!.id}`);
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('has the panels the operators need', () => {
    const titled = (re: RegExp) => panels.filter((p) => re.test(p.title ?? ''));
    const share = titled(/^Share per replica/);
    expect(share).toHaveLength(1);
    const shareRow = allPanels(d).find((p) => p.panel === share[0])!.row;
    expect(share[0]!.repeat ?? shareRow?.repeat).toBe('service');
    const imbalance = titled(/^Imbalance and threshold/)[0]!;
    expect(imbalance.targets!.map((t) => t.expr).join('\n')).toMatch(
      /swarm_balance_service_imbalance[\s\S]*swarm_balance_service_threshold/,
    );
    const table = panels.find((p) => p.type === 'table')!;
    const tableExprs = table.targets!.map((t) => t.expr).join('\n');
    for (const m of ['service_skewed', 'service_replicas', 'service_top_share'])
      expect(tableExprs).toContain(`swarm_balance_${m}`);
    const all = panels
      .flatMap((p) => p.targets ?? [])
      .map((t) => t.expr)
      .join('\n');
    for (const m of [
      'task_connections_accepted_total',
      'task_receive_bytes_total',
      'task_requests_total',
      'peers',
      'sampler_success',
      'last_sample_timestamp_seconds',
      'docker_up',
    ]) {
      expect(all).toContain(`swarm_balance_${m}`);
    }
    const annotations = d.annotations.list.filter((a) => a.datasource?.type === 'prometheus');
    expect(annotations.map((a) => a.datasource?.uid)).toEqual(annotations.map(() => '${datasource}'));
    expect(annotations.some((a) => a.expr?.includes('swarm_balance_service_skewed'))).toBe(true);
    expect(annotations.some((a) => a.expr?.includes('swarm_balance_remediations_total'))).toBe(true);
  });

  it('queries only metrics the agent exposes (drift check against src/metrics.ts)', () => {
    const queries = dashboardQueries(VALUES);
    expect(queries.length).toBeGreaterThan(25);
    expect(
      unknownMetrics(
        queries.map((q) => q.expr),
        [...agentMetrics, ...PROMETHEUS_SERIES],
      ),
    ).toEqual([]);
    const variableMetrics = d.templating.list.flatMap((v) =>
      v.definition ? [/label_values\((\w+)/.exec(v.definition)?.[1] ?? v.definition] : [],
    );
    expect(variableMetrics.filter((m) => !agentMetrics.includes(m))).toEqual([]);
  });

  it('keeps every query to the chosen swarm (job) and the per-service and per-task ones to the chosen stacks', () => {
    const problems: string[] = [];
    const raw = [
      ...allPanels(d).flatMap(({ panel }) => (panel.targets ?? []).map((t) => t.expr ?? '')),
      ...d.annotations.list.map((a) => a.expr ?? ''),
    ];
    for (const expr of raw) {
      for (const m of expr.matchAll(/(swarm_balance_[a-z_]+)(\{[^}]*\})?/g)) {
        const matchers = m[2] ?? '';
        if (!matchers.includes('job=~"$job"')) problems.push(`${m[1]} without job: ${expr}`);
        if (/^swarm_balance_(service|task)_/.test(m[1]!) && !matchers.includes('stack=~"$stack"'))
          problems.push(`${m[1]} without stack: ${expr}`);
      }
    }
    expect(problems).toEqual([]);
    const one = dashboardQueries({ ...VALUES, job: 'swarm-a', stack: ['shop'] }).find(
      (q) => q.title === 'Accepted connections /s',
    )!;
    expect(one.expr).toContain('job=~"swarm-a"');
    expect(one.expr).toContain('stack=~"(shop)"');
  });

  it('substitutes variables the way Grafana does', () => {
    const queries = dashboardQueries({ service: ['shop_web', 'a.b'], node: ['n1'] }, { rateInterval: '2m' });
    // The repeated row gives one copy per service, each with its own value.
    const shares = queries.filter((q) => q.title.startsWith('Share per replica'));
    expect(shares.map((q) => q.title)).toEqual(['Share per replica — shop_web', 'Share per replica — a.b']);
    expect(shares[1]!.expr).toContain('service=~"a\\\\.b"');
    const connections = queries.find((q) => q.title === 'Accepted connections /s')!;
    expect(connections.expr).toContain('service=~"(shop_web|a\\\\.b)"');
    expect(connections.expr).toContain('node=~"(n1)"');
    expect(connections.expr).toContain('[2m]');
    for (const q of queries) expect(q.expr, q.title).not.toMatch(/\$|\[\[/);
    expect(() => dashboardQueries({ service: '$__all', node: '$__all' })).toThrow(/repeats over \$service/);
  });

  it('queries are valid PromQL (promtool check rules on every query)', async () => {
    const queries = dashboardQueries(VALUES);
    const dir = mkdtempSync(join(tmpdir(), 'sb-dash-'));
    try {
      const rules = [
        'groups:',
        '  - name: dashboard-queries',
        '    rules:',
        ...queries.flatMap((q, i) => [
          `      - record: dashboard_query:q${i}`,
          `        expr: ${JSON.stringify(q.expr)}`,
        ]),
      ];
      writeFileSync(join(dir, 'queries.yml'), rules.join('\n') + '\n');
      const out = await mustPass('promtool', ['check', 'rules', join(dir, 'queries.yml')]);
      expect(out).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('comes with Grafana provisioning for the dashboard folder and a Prometheus data source', () => {
    const dashboards = read('dashboards/provisioning/dashboards.yml');
    expect(dashboards).toMatch(/^apiVersion: 1$/m);
    expect(yamlValues(dashboards, 'type')).toContain('file');
    expect(yamlValues(dashboards, 'path')[0]).toMatch(/^\//);
    const datasources = read('dashboards/provisioning/datasources.yml');
    expect(datasources).toMatch(/^apiVersion: 1$/m);
    expect(yamlValues(datasources, 'type')).toContain('prometheus');
  });
});

// --- end to end: real Prometheus and Alertmanager --------------------------------------------------

/**
 * The agent's real metrics code (createMetrics) serving a made-up cluster: shop_web with every byte on
 * replica 1 (a keep-alive client: no new connections), api spread evenly, the collapse firing on the
 * evaluator, and one failed remediation.
 */
async function fakeAgent(): Promise<{ server: Server; target: string; metrics: AgentMetrics }> {
  const started = Date.now();
  const task =
    (
      id: string,
      service: string,
      stack: string,
      slot: string,
      node: string,
      perSecond: { bytes: number; conns: number; requests?: number },
    ): (() => TaskReport) =>
    () => {
      const s = (Date.now() - started) / 1000;
      return {
        id,
        name: `${service}.${slot}`,
        containerId: `${id}-container`,
        serviceId: `svc-${service}`,
        serviceName: service,
        stack,
        slot,
        nodeId: `id-${node}`,
        nodeName: node,
        health: 'healthy',
        startedAt: started,
        networks: {},
        counters: {
          connectionsAccepted: 4 + Math.floor(perSecond.conns * s),
          connectionsActive: perSecond.bytes > 0 ? 4 : 0,
          receiveBytes: 1000 + Math.floor(perSecond.bytes * s),
          receivePackets: 10 + Math.floor((perSecond.bytes * s) / 1000),
          ...(perSecond.requests !== undefined ? { requests: Math.floor(perSecond.requests * s) } : {}),
        },
        window: {},
        rates: {},
      };
    };
  const tasks = [
    task('t1', 'shop_web', 'shop', '1', 'n1', { bytes: 100_000, conns: 0, requests: 50 }),
    task('t2', 'shop_web', 'shop', '2', 'n2', { bytes: 0, conns: 0, requests: 0 }),
    task('t3', 'shop_web', 'shop', '3', 'n3', { bytes: 0, conns: 0, requests: 0 }),
    task('a1', 'api', '', '1', 'n1', { bytes: 50_000, conns: 5 }),
    task('a2', 'api', '', '2', 'n2', { bytes: 50_000, conns: 5 }),
  ];
  const service = (name: string, stack: string, firing: boolean, shares: [string, string, string, number][]) =>
    ({
      id: `svc-${name}`,
      name,
      stack,
      running: shares.length,
      threshold: 0.8,
      verdict: {
        kind: firing ? 'skewed' : 'balanced',
        stats: { topShare: Math.max(...shares.map((x) => x[3])), imbalance: firing ? 1 : 0 },
      },
      detector: { state: firing ? 'firing' : 'ok', since: started },
      tasks: shares.map(([id, slot, node, share]) => ({
        id,
        name: `${name}.${slot}`,
        slot,
        nodeId: `id-${node}`,
        nodeName: node,
        share,
      })),
      // Idle: the replicas at a fifth of a fair share or less, as the evaluator splits them.
      spread: {
        carrying: shares.filter((x) => x[3] > 0.2 / shares.length).map(([id, slot]) => ({ id, slot })),
        idle: shares.filter((x) => x[3] <= 0.2 / shares.length).map(([id, slot]) => ({ id, slot })),
        idleStartedLater: false,
      },
    }) as unknown as ServiceResult;
  const services = [
    service('shop_web', 'shop', true, [
      ['t1', '1', 'n1', 1],
      ['t2', '2', 'n2', 0],
      ['t3', '3', 'n3', 0],
    ]),
    service('api', '', false, [
      ['a1', '1', 'n1', 0.5],
      ['a2', '2', 'n2', 0.5],
    ]),
  ];
  const registry = new Registry();
  const metrics = createMetrics(
    registry,
    metricsSource({
      tasks: () => tasks.map((t) => t()),
      services: () => services,
      peers: () => ({ ok: 3, timeout: 0 }),
      samplerRuns: () => [
        { name: 'proc_connections', success: true, durationSeconds: 0.004, problems: new Map() },
        { name: 'http_requests', success: true, durationSeconds: 0.02, problems: new Map() },
      ],
    }),
    '0.0.0-test',
  );
  metrics.notifications.inc({ channel: 'log', result: 'sent' });
  metrics.samplerErrors.inc({ sampler: 'http_requests', reason: 'SB_HTTP_TIMEOUT' });
  metrics.remediations.inc({ service: 'shop_web', action: 'endpoint-mode', result: 'failed' });
  const server = createServer((_req, res) => {
    metrics.exposition.metrics().then(
      (text) => res.writeHead(200, { 'content-type': metrics.exposition.contentType }).end(text),
      (err: unknown) => res.writeHead(500).end(String(err)),
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, target: `127.0.0.1:${(server.address() as AddressInfo).port}`, metrics };
}

describe('end to end: the rules in a real Prometheus, the example routing in a real Alertmanager', () => {
  let dir: string;
  let agent: Awaited<ReturnType<typeof fakeAgent>>;
  let chat: Awaited<ReturnType<typeof captureServer>>;
  let prometheus: Daemon | undefined;
  let alertmanager: Daemon | undefined;
  let alertmanagerPrometheusOnly: Daemon | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-observability-'));
    agent = await fakeAgent();
    chat = await captureServer();

    // The shipped files, with only times shortened and addresses pointed at the local stand-ins. The
    // 5m `for` stays: it also keeps a Prometheus that just started (nothing scraped yet) from saying
    // that no agent is there.
    writeFileSync(join(dir, 'rules.yml'), rulesText.replace(/^(\s+for:) 2m$/gm, '$1 5s'));
    // Two Alertmanagers fed by the same Prometheus: the example as shipped (Slack at /slack), and the
    // documented Prometheus-only variant, collapse route on swarm-balance-traffic-slack (at /slack-prometheus-only).
    const startAm = async (name: string, slackPath: string, edit: (text: string) => string) => {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'slack_webhook_url'), `${chat.url}${slackPath}`);
      copyFileSync(join(REPO_ROOT, AM_TEMPLATE), join(dir, name, 'swarm-balance.tmpl'));
      const am = edit(read(AM_CONFIG))
        .replaceAll('/run/secrets/slack_webhook_url', join(dir, name, 'slack_webhook_url'))
        .replace(/group_wait: \d+s/g, 'group_wait: 1s')
        .replace(/group_interval: \d+m/g, 'group_interval: 5s');
      writeFileSync(join(dir, name, 'alertmanager.yml'), am);
      return startAlertmanager(join(dir, name, 'alertmanager.yml'), join(dir, name, 'data'));
    };
    const shipped = await startAm('am-shipped', '/slack', (t) => t);
    alertmanager = shipped;
    const variant = await startAm('am-prometheus-only', '/slack-prometheus-only', (t) => {
      const out = t.replace('receiver: swarm-balance-traffic-held', 'receiver: swarm-balance-traffic-slack');
      expect(out).not.toBe(t);
      return out;
    });
    alertmanagerPrometheusOnly = variant;

    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global: { scrape_interval: 1s, evaluation_interval: 1s }',
        `rule_files: [${join(dir, 'rules.yml')}]`,
        `alerting: { alertmanagers: [ { static_configs: [ { targets: ["${new URL(shipped.url).host}", "${new URL(variant.url).host}"] } ] } ] }`,
        `scrape_configs: [ { job_name: swarm-balance, static_configs: [ { targets: ["${agent.target}"] } ] } ]`,
      ].join('\n') + '\n',
    );
    await mustPass('promtool', ['check', 'config', join(dir, 'prometheus.yml')]);
    prometheus = await startPrometheus(join(dir, 'prometheus.yml'), join(dir, 'prom-data'));
  });

  afterAll(async () => {
    await stopDaemon(prometheus);
    await stopDaemon(alertmanager);
    await stopDaemon(alertmanagerPrometheusOnly);
    agent?.server.close();
    chat?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const logs = () =>
    `--- prometheus ---\n${prometheus?.logs().slice(-3000)}\n--- alertmanager ---\n${alertmanager?.logs().slice(-3000)}\n--- received ---\n${JSON.stringify(chat?.requests, null, 1).slice(-4000)}`;
  type SlackPost = { channel?: string; attachments: { title: string; text: string; color: string }[] };
  const slackPosts = (path = '/slack') =>
    chat.requests.filter((r) => r.path === path).map((r) => JSON.parse(r.body) as SlackPost);
  const collapsePost = (p: SlackPost) => p.attachments[0]!.title.includes('SwarmServiceTrafficCollapsed');

  it('computes the collapse from the scraped per-task counters; the Prometheus-only variant sends it to Slack', async () => {
    await waitFor(
      async () => slackPosts('/slack-prometheus-only').some(collapsePost),
      90_000,
      'the collapse notification on Slack (Prometheus-only variant)',
      logs,
    );

    const imbalance = await promQuery(prometheus!.url, 'swarm_balance:service_imbalance_with_traffic:5m');
    const bySignal = Object.fromEntries(
      (imbalance.data!.result as PromVector[]).map((r) => [
        `${r.metric.service}/${r.metric.signal}`,
        Number(r.value[1]),
      ]),
    );
    expect(bySignal['shop_web/bytes']).toBe(1);
    expect(bySignal['api/bytes']).toBeLessThan(0.1);
    expect(bySignal['api/connections']).toBeLessThan(0.1);
    expect(bySignal['shop_web/connections']).toBeUndefined(); // no new connections: not enough traffic on that signal

    const slack = slackPosts('/slack-prometheus-only').find(collapsePost)!;
    expect(slack.channel).toBeUndefined(); // a Slack app's webhook posts to its own channel
    expect(slack.attachments[0]!.title).toBe('[FIRING:1] SwarmServiceTrafficCollapsed shop_web');
    expect(slack.attachments[0]!.color).toBe('danger');
    expect(slack.attachments[0]!.text).toContain('*Traffic of shop_web collapsed onto one replica*');
    expect(slack.attachments[0]!.text).toContain('normalized imbalance 1.00');
    expect(slack.attachments[0]!.text).toContain('bytes: imbalance 1.00.');

    // The example as shipped holds the collapse (the agents post it) and sends nothing for it.
    const held = await getJson<{ labels: Record<string, string>; receivers: { name: string }[] }[]>(
      `${alertmanager!.url}/api/v2/alerts?filter=alertname%3D%22SwarmServiceTrafficCollapsed%22`,
    );
    expect(held.map((a) => [a.labels.service, a.receivers.map((r) => r.name)])).toEqual([
      ['shop_web', ['swarm-balance-traffic-held']],
    ]);
    await sleep(7000); // longer than group_wait + group_interval of the shortened example
    expect(slackPosts('/slack').filter(collapsePost)).toEqual([]);

    // The evenly spread service never shows up.
    expect(JSON.stringify(chat.requests)).not.toMatch(/Traffic of api/);
  });

  it('sends the failed remediation to the ops channel, and nothing else fires', async () => {
    const opsPost = (p: SlackPost) => p.attachments[0]!.title.includes('SwarmBalanceRemediationFailed');
    await waitFor(async () => slackPosts().some(opsPost), 60_000, 'the ops notification', logs);
    const ops = slackPosts().find(opsPost)!;
    expect(ops.channel).toBeUndefined();
    expect(ops.attachments[0]!.title).toBe('[FIRING:1] SwarmBalanceRemediationFailed shop_web');
    expect(ops.attachments[0]!.text).toContain('could not remediate shop_web (endpoint-mode)');
    // The shipped example never posts a collapse: one message per collapse comes from the agents.
    expect(slackPosts().filter(collapsePost)).toEqual([]);

    const firing = await promQuery(prometheus!.url, 'ALERTS{alertstate="firing"}');
    expect(
      (firing.data!.result as PromVector[]).map((r) => `${r.metric.alertname} ${r.metric.service ?? ''}`).sort(),
    ).toEqual(['SwarmBalanceRemediationFailed shop_web', 'SwarmServiceTrafficCollapsed shop_web']);
  });

  it('runs every dashboard query in Prometheus, and each one has data', async () => {
    const queries = dashboardQueries(VALUES, { rateInterval: '1m' });
    const { failed, empty } = await runDashboardQueries(prometheus!.url, queries, {
      rangeSeconds: 60,
      emptyRange: false,
    });
    expect(failed).toEqual([]);
    expect(empty).toEqual([]);
  });
});
