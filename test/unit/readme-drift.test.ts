// The README is the operator's reference: every setting and every metric must be in it.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config.js';
import { PREFIX } from '../../src/metrics.js';
import { emptyAgentRegistry } from '../support/dashboard.js';
import { ErrorCodes } from '../../src/errors.js';
import { TEXT_FAMILIES } from '../../src/core/metrics-text.js';
import { PROCESS_FAMILIES } from '../../src/process-metrics.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('README', () => {
  it.each(SETTINGS.map((s) => [s.env]))('documents %s', (env) => {
    expect(readme).toContain(`\`${env}\``);
  });

  const registry = emptyAgentRegistry();
  // The agent's own metrics are listed without the prefix; the process's (process_*, nodejs_*) by their full names.
  const names = [
    ...registry.getMetricsAsArray().map((m) => (m.name.startsWith(PREFIX) ? m.name.slice(PREFIX.length) : m.name)),
    ...TEXT_FAMILIES.map((f) => f.name),
    ...PROCESS_FAMILIES.map((f) => f.name),
  ];
  it.each(names.map((n) => [n]))('lists the metric %s', (name) => {
    expect(readme).toContain(`\`${name}\``);
  });

  it.each(Object.values(ErrorCodes).map((c) => [c]))('explains the error code %s', (code) => {
    expect(readme).toContain(`\`${code}\``);
  });
});
