// Every alert links a runbook that exists and is about it, and a dashboard URL Grafana can open:
// the dashboard's uid and only variables the dashboard defines.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadDashboard } from '../support/dashboard.js';

const RULES = readFileSync(new URL('../../alerts/swarm-balance.rules.yml', import.meta.url), 'utf8');
const RUNBOOK_BASE = 'https://github.com/swarm-balance/swarm-balance/blob/main/docs/runbooks/';
const dashboard = loadDashboard();

/** Each alerting rule's text, from its `- alert:` line to the next rule. */
const alerts = [...RULES.matchAll(/^ {6}- alert: (\w+)\n([\s\S]*?)(?=^ {6}- (?:alert|record):|(?![\s\S]))/gm)].map(
  (m) => ({ name: m[1]!, text: m[2]! }),
);
const annotation = (text: string, key: string) => new RegExp(`^ {10}${key}: '?([^'\\n]*)'?$`, 'm').exec(text)?.[1];

describe('alert links', () => {
  it('finds the seven alerts', () => {
    expect(alerts.map((a) => a.name)).toEqual([
      'SwarmServiceTrafficCollapsed',
      'SwarmBalanceAgentMissing',
      'SwarmBalanceSamplerFailing',
      'SwarmBalanceNoEvaluator',
      'SwarmBalanceRemediationFailed',
      'SwarmBalanceDockerDown',
      'SwarmServiceTrafficCollapsedOntoSubset',
    ]);
  });

  it.each(alerts.map((a) => [a.name, a.text]))('%s links a runbook in docs/runbooks about it', (name, text) => {
    const url = annotation(text, 'runbook_url');
    expect(url?.startsWith(RUNBOOK_BASE)).toBe(true);
    const file = new URL(`../../docs/runbooks/${url!.slice(RUNBOOK_BASE.length)}`, import.meta.url);
    expect(existsSync(file)).toBe(true);
    const page = readFileSync(file, 'utf8');
    expect(page.split('\n')[0]).toBe(`# ${name}`);
    for (const section of ['## What it means', '## Confirm', '## What to change']) expect(page).toContain(section);
    expect(page).toMatch(/swarm-balance (status|doctor)/);
  });

  it.each(alerts.map((a) => [a.name, a.text]))('%s links the dashboard with variables it defines', (_name, text) => {
    const url = annotation(text, 'dashboard_url');
    expect(url).toBeDefined();
    const parsed = new URL(url!.replace(/\{\{[^}]*\}\}/g, 'x'), 'http://grafana.invalid');
    expect(parsed.pathname).toBe(`/d/${dashboard.uid}/swarm-balance`);
    const variables = new Set(dashboard.templating.list.map((v) => v.name));
    const used = [...parsed.searchParams.keys()];
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) {
      expect(key).toMatch(/^var-/);
      expect(variables).toContain(key.slice('var-'.length));
    }
  });
});
