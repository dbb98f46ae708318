// The alertmanager channel against a real Alertmanager (Debian's prometheus-alertmanager): what swarm-balance posts
// to /api/v2/alerts comes out of Alertmanager's own webhook receiver as a firing, then a resolved notification.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPoster } from '../../src/adapters/post.js';
import { parseConfig } from '../../src/config.js';
import { adviceFor, type AlertEvent } from '../../src/core/alert.js';
import type { Outcome } from '../../src/notify/channel-queue.js';
import { configuredChannels } from '../../src/notify/channels.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { waitFor } from '../support/agent-process.js';
import { testNotifier } from '../support/notifier.js';
import { freePort } from '../support/ports.js';

const BINARY = 'prometheus-alertmanager';

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
let receiver: Server;
let am: ChildProcess | undefined;
let amOutput = '';
let amUrl = '';
let dir = '';
let notifier: Notifier;
let poster: ReturnType<typeof createPoster>;

async function listen(server: Server, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      notifications.push(JSON.parse(body) as WebhookNotification);
      res.writeHead(200).end();
    });
  });
  const hookPort = await listen(receiver);

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
      `      - url: http://127.0.0.1:${hookPort}/hook`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  am = spawn(
    BINARY,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  am.stdout!.on('data', (c: Buffer) => {
    amOutput += c.toString();
  });
  am.stderr!.on('data', (c: Buffer) => {
    amOutput += c.toString();
  });
  const spawnError = new Promise<never>((_, reject) =>
    am!.once('error', (err) =>
      reject(new Error(`cannot start ${BINARY} (apt-get install prometheus-alertmanager): ${err.message}`)),
    ),
  );
  spawnError.catch(() => undefined);
  await Promise.race([
    spawnError,
    waitFor(
      async () => (await fetch(`${amUrl}/-/ready`)).ok,
      20_000,
      `Alertmanager ${amUrl}/-/ready`,
      () => amOutput,
    ),
  ]);

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
  if (am && am.exitCode === null && am.signalCode === null) {
    const exited = once(am, 'exit');
    am.kill('SIGTERM');
    const killer = setTimeout(() => am?.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

function collapse(kind: 'firing' | 'resolved', startedAt: number): AlertEvent {
  const now = Date.now();
  const replicas = [1, 2, 3].map((slot) => ({
    name: `shop_web.${slot}`,
    slot: String(slot),
    node: `node-${slot}`,
    share: slot === 1 ? 0.97 : 0.015,
  }));
  return {
    id: `svc-web:${startedAt}`,
    kind,
    at: now,
    startedAt,
    endedAt: kind === 'resolved' ? now : null,
    service: 'shop_web',
    serviceId: 'svc-web',
    stack: 'shop',
    endpointMode: 'vip',
    replicas: { running: 3, desired: 3 },
    signal: 'requests',
    threshold: 0.8,
    imbalance: 0.95,
    hot: replicas[0]!,
    replicasShare: replicas,
    pinning:
      'shop_web.1 on node-1 takes 97 % of the traffic; 100 % of its 6 connections come from shop_proxy.1 (10.0.1.23 on node-2)',
    ...adviceFor('shop_web', 'vip', []),
    dashboardUrl: 'https://grafana.example/d/swarm-balance',
  };
}

const context = () =>
  `notifications: ${JSON.stringify(notifications, null, 1)}\ncounts: ${JSON.stringify(counts)}\n--- alertmanager ---\n${amOutput}`;

describe('the alertmanager channel against a real Alertmanager', () => {
  const startedAt = Date.now() - 2 * 60_000;

  it('turns a firing alert into a firing notification with alertname, service, stack and severity', async () => {
    notifier.announce(collapse('firing', startedAt));
    await waitFor(
      async () => notifications.some((n) => n.status === 'firing'),
      20_000,
      'a firing notification from Alertmanager',
      context,
    );
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
    notifier.announce(collapse('resolved', startedAt));
    await waitFor(
      async () => notifications.some((n) => n.status === 'resolved'),
      20_000,
      'a resolved notification from Alertmanager',
      context,
    );
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
