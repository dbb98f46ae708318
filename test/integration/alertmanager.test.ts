// The alertmanager channel against a real Alertmanager (Debian's prometheus-alertmanager): what swarm-balance posts
// to /api/v2/alerts comes out of Alertmanager's own webhook receiver as a firing, then a resolved notification.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoster } from '../../src/adapters/post.js';
import { parseConfig } from '../../src/config.js';
import type { AlertEvent } from '../../src/core/alert.js';
import type { Outcome } from '../../src/notify/channel-queue.js';
import { configuredChannels } from '../../src/notify/channels.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { waitFor } from '../support/agent-process.js';
import { collapseEvent } from '../support/alert-events.js';
import { stopDaemon, type Daemon } from '../support/daemons.js';
import { startAlertmanager } from '../support/monitoring.js';
import { testNotifier } from '../support/notifier.js';
import { startRecorder, type Recorder } from '../support/recorder.js';

/** What Alertmanager's webhook_config POSTs (payload version 4). */
interface WebhookNotification {
  version: string;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  alerts: {
    status: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    endsAt: string;
    generatorURL: string;
  }[];
}

const notifications: WebhookNotification[] = [];
const counts: { channel: string; outcome: Outcome }[] = [];
let receiver: Recorder;
let am: Daemon | undefined;
let amUrl = '';
let dir = '';
let notifier: Notifier;
let poster: ReturnType<typeof createPoster>;

beforeAll(async () => {
  receiver = await startRecorder({ onRecord: (r) => notifications.push(r.body as WebhookNotification) });

  dir = await mkdtemp(join(tmpdir(), 'sb-alertmanager-'));
  await writeFile(
    join(dir, 'alertmanager.yml'),
    [
      'route:',
      '  receiver: hook',
      "  group_by: ['alertname', 'service']",
      '  group_wait: 1s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: ${receiver.url}/hook`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  am = await startAlertmanager(join(dir, 'alertmanager.yml'), join(dir, 'data'));
  amUrl = am.url;

  const channels = configuredChannels(
    parseConfig({ SWARM_BALANCE_ALERTMANAGER_URL: amUrl }, [], () => {
      throw new Error('no files here');
    }),
  );
  poster = createPoster(2000);
  notifier = testNotifier(channels, poster.post, pino({ level: 'silent' }), counts);
});

afterAll(async () => {
  notifier?.close();
  await poster?.close();
  await stopDaemon(am);
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The collapse on shop_web: its first replica takes 97 % of the requests. */
const collapse = (kind: AlertEvent['kind'], startedAt: number): AlertEvent =>
  collapseEvent(kind, startedAt, {
    names: { service: 'shop_web', serviceId: 'svc-web', tasks: 'shop_web' },
    hot: { slot: 1, share: 0.97, others: 0.015 },
    signal: { name: 'requests', imbalance: 0.95 },
    pinning:
      'shop_web.1 on node-1 takes 97 % of the traffic; 100 % of its 6 connections come from shop_proxy.1 (10.0.1.23 on node-2)',
  });

const context = () =>
  `notifications: ${JSON.stringify(notifications, null, 1)}\ncounts: ${JSON.stringify(counts)}\n--- alertmanager ---\n${am?.logs()}`;

describe('the alertmanager channel against a real Alertmanager', () => {
  const startedAt = Date.now() - 2 * 60_000;

  /** Announces the collapse as `kind` and waits for Alertmanager's notification of it. */
  const announceAndAwait = async (kind: AlertEvent['kind']) => {
    notifier.announce(collapse(kind, startedAt));
    await waitFor(
      async () => notifications.some((n) => n.status === kind),
      20_000,
      `a ${kind} notification from Alertmanager`,
      context,
    );
  };

  it('turns a firing alert into a firing notification with alertname, service, stack and severity', async () => {
    await announceAndAwait('firing');
    expect(counts).toEqual([{ channel: 'alertmanager', outcome: 'sent' }]);
    const firing = notifications.find((n) => n.status === 'firing')!;
    expect(firing.version).toBe('4');
    expect(firing.alerts).toHaveLength(1);
    const [alert] = firing.alerts;
    expect(alert!.status).toBe('firing');
    expect(alert!.labels).toEqual({
      alertname: 'SwarmServiceTrafficCollapsed',
      service: 'shop_web',
      stack: 'shop',
      severity: 'warning',
    });
    expect(firing.groupLabels).toEqual({ alertname: 'SwarmServiceTrafficCollapsed', service: 'shop_web' });
    expect(alert!.annotations.summary).toMatch(/^\[FIRING\] shop_web \(stack shop\)/);
    expect(alert!.annotations.description).toContain('Traffic share per replica');
    expect(Date.parse(alert!.startsAt)).toBe(startedAt);
    expect(alert!.generatorURL).toBe('https://grafana.example/d/swarm-balance');
    // Alertmanager's own view: one active alert.
    const active = (await (await fetch(`${amUrl}/api/v2/alerts?active=true`)).json()) as {
      labels: Record<string, string>;
      status: { state: string };
    }[];
    expect(active.map((a) => [a.labels.service, a.status.state])).toEqual([['shop_web', 'active']]);
  });

  it('turns the resolved alert into a resolved notification for the same alert', async () => {
    const before = notifications.length;
    await announceAndAwait('resolved');
    expect(counts.map((c) => c.outcome)).toEqual(['sent', 'sent']);
    const resolved = notifications.find((n) => n.status === 'resolved')!;
    expect(notifications.indexOf(resolved)).toBeGreaterThanOrEqual(before);
    expect(notifications.slice(0, notifications.indexOf(resolved)).every((n) => n.status === 'firing')).toBe(true);
    const [alert] = resolved.alerts;
    expect(resolved.alerts).toHaveLength(1);
    expect(alert!.status).toBe('resolved');
    expect(alert!.labels).toEqual({
      alertname: 'SwarmServiceTrafficCollapsed',
      service: 'shop_web',
      stack: 'shop',
      severity: 'warning',
    });
    expect(alert!.annotations.summary).toMatch(/^\[RESOLVED\] shop_web/);
    expect(Date.parse(alert!.startsAt)).toBe(startedAt);
    expect(Date.parse(alert!.endsAt)).toBeLessThanOrEqual(Date.now());
  });
});
