// The Prometheus-only rules for a collapse onto a subset of replicas (alerts/swarm-balance.rules.yml, group
// swarm-balance-subset), checked with the real promtool against their unit tests, family by family. No Docker.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/dashboard.js';

const RULES = 'alerts/swarm-balance.rules.yml';
const SUBSET_TESTS = 'alerts/swarm-balance.subset.rules.test.yml';

async function promtool(...args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('promtool', args, { cwd: REPO_ROOT, timeout: 60_000 });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT')
      throw new Error('promtool is not installed: apt-get install prometheus (.ci/run installs it)');
    return { code: typeof e.code === 'number' ? e.code : -1, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

describe('subset-collapse rules (group swarm-balance-subset)', () => {
  it('pass promtool check rules', async () => {
    const r = await promtool('check', 'rules', RULES);
    expect(r.code, r.output).toBe(0);
  });

  it('pass their unit tests: 2 of 6, 3 of 9, a scale-up never followed and 4 of 10 fire; the one-replica cases are left to the classic alert; even, churn, mild and quiet services never fire', async () => {
    const r = await promtool('test', 'rules', SUBSET_TESTS);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('test every family of the issue', () => {
    const tests = readFileSync(join(REPO_ROOT, SUBSET_TESTS), 'utf8');
    for (const service of [
      'two',
      'nine',
      'scaled',
      'four',
      'solo',
      'ninety',
      'even',
      'churn',
      'sixtyforty',
      'mild',
      'quiet',
    ]) {
      expect(tests, service).toContain(`service="${service}"`);
    }
    expect(tests.match(/alertname: SwarmServiceTrafficCollapsedOntoSubset/g)?.length).toBeGreaterThanOrEqual(9);
  });
});
