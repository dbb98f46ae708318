import { describe, expect, it } from 'vitest';
import type { AlertKind } from '../../../src/core/alert.js';
import { ALERTMANAGER_VALIDITY_MS, ALERTNAME, renderAlertmanager } from './renderers.js';
import { alertEvent, DASHBOARD, MINUTE, T0 } from './fixtures.js';

describe('renderAlertmanager', () => {
  it('posts one postableAlert with identifying labels', () => {
    const alerts = renderAlertmanager(alertEvent('firing'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.labels).toEqual({
      alertname: ALERTNAME,
      service: 'shop_web',
      stack: 'shop',
      severity: 'warning',
    });
    expect(ALERTNAME).toBe('SwarmServiceTrafficCollapsed');
  });

  it('leaves the stack label out when the service has no stack, and every label value is a non-empty string', () => {
    const labels = renderAlertmanager(alertEvent('firing', { stack: '' }))[0]!.labels;
    expect(labels).not.toHaveProperty('stack');
    expect(Object.values(labels).every((v) => typeof v === 'string' && v !== '')).toBe(true);
  });

  it('labels a test alert as a test so routes can drop it, and says so in the summary', () => {
    const a = renderAlertmanager(alertEvent('test'))[0]!;
    expect(a.labels.test).toBe('true');
    expect(a.annotations.summary).toMatch(/^\[TEST\]/);
  });

  it.each([
    ['firing', T0, T0 + 5 * MINUTE + ALERTMANAGER_VALIDITY_MS],
    ['repeat', T0, T0 + 65 * MINUTE + ALERTMANAGER_VALIDITY_MS],
    ['resolved', T0, T0 + 12 * MINUTE],
    ['test', T0, T0 + ALERTMANAGER_VALIDITY_MS],
  ] as [AlertKind, number, number][])(
    'starts a %s alert when the collapse began and ends it at the right time',
    (kind, starts, ends) => {
      const a = renderAlertmanager(alertEvent(kind))[0]!;
      expect(a.startsAt).toBe(new Date(starts).toISOString());
      expect(a.endsAt).toBe(new Date(ends).toISOString());
    },
  );

  it('keeps a firing alert active for five minutes unless told otherwise', () => {
    expect(ALERTMANAGER_VALIDITY_MS).toBe(5 * MINUTE);
    const a = renderAlertmanager(alertEvent('firing'), { validityMs: 2 * MINUTE })[0]!;
    expect(a.endsAt).toBe(new Date(T0 + 7 * MINUTE).toISOString());
  });

  it('ends a resolved alert in the past so Alertmanager resolves it at once', () => {
    const e = alertEvent('resolved');
    expect(Date.parse(renderAlertmanager(e)[0]!.endsAt)).toBeLessThanOrEqual(e.at);
  });

  it('carries summary, description, pinning, fix, command and dashboard as annotations', () => {
    const e = alertEvent('firing');
    const a = renderAlertmanager(e)[0]!;
    expect(Object.keys(a.annotations)).toEqual(['summary', 'description', 'pinning', 'fix', 'command', 'dashboard']);
    expect(a.annotations.description).toContain('slot 1  node-1  ████████··  83 %  ← hot');
    expect(a.annotations.command).toBe(e.command);
    expect(a.generatorURL).toBe(DASHBOARD);
  });

  it('omits empty annotations and the generator URL when there is nothing to put there', () => {
    const a = renderAlertmanager(alertEvent('firing', { pinning: null, command: null, dashboardUrl: null }))[0]!;
    expect(Object.keys(a.annotations)).toEqual(['summary', 'description', 'fix']);
    expect(a).not.toHaveProperty('generatorURL');
  });

  it('sends RFC 3339 timestamps', () => {
    const a = renderAlertmanager(alertEvent('firing'))[0]!;
    for (const t of [a.startsAt, a.endsAt]) expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});
