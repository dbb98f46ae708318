// The notification path for real: config -> configured channel -> queue -> undici POST -> a local stand-in for each
// service that checks the request the way the service documents it (test/support/chat-standins.ts). No Docker.
import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createPoster } from '../../src/adapters/post.js';
import { parseConfig } from '../../src/config.js';
import type { AlertEvent } from '../../src/core/alert.js';
import type { Outcome } from '../../src/notify/channel-queue.js';
import { configuredChannels } from '../../src/notify/channels.js';
import type { Notifier } from '../../src/notify/notifier.js';
import { waitFor } from '../support/agent-process.js';
import { collapseEvent } from '../support/alert-events.js';
import { testNotifier } from '../support/notifier.js';
import {
  startStandin,
  type Script,
  type SeenRequest,
  type Standin,
  type StandinKind,
} from '../support/chat-standins.js';

const run = promisify(execFile);
const SECRET = 'XXXXsecretXXXX';
const BOT_TOKEN = `123456789:AAH${SECRET}abcdefghijklmnopq`;
const noFile = (): string => {
  throw new Error('no files in this test');
};

interface ChannelCase {
  kind: StandinKind;
  /** The settings that point the channel at the stand-in. */
  env(base: string): Record<string, string>;
  /** The secret part of the channel's address: it must never reach a log line or a metric. */
  secret: string;
}

const CASES: ChannelCase[] = [
  {
    kind: 'slack',
    env: (u) => ({ SWARM_BALANCE_SLACK_WEBHOOK_URL: `${u}/services/T000/B000/${SECRET}` }),
    secret: `/T000/B000/${SECRET}`,
  },
  {
    kind: 'teams',
    secret: `sig=${SECRET}`,
    env: (u) => ({
      SWARM_BALANCE_TEAMS_WEBHOOK_URL: `${u}/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${SECRET}`,
    }),
  },
  {
    kind: 'discord',
    env: (u) => ({ SWARM_BALANCE_DISCORD_WEBHOOK_URL: `${u}/api/webhooks/123456789012345678/${SECRET}` }),
    secret: SECRET,
  },
  {
    kind: 'mattermost',
    env: (u) => ({ SWARM_BALANCE_MATTERMOST_WEBHOOK_URL: `${u}/hooks/${SECRET}` }),
    secret: SECRET,
  },
  {
    kind: 'telegram',
    secret: BOT_TOKEN,
    env: (u) => ({
      SWARM_BALANCE_TELEGRAM_API_URL: u,
      SWARM_BALANCE_TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      SWARM_BALANCE_TELEGRAM_CHAT_ID: '-1001234567890',
    }),
  },
  { kind: 'webhook', env: (u) => ({ SWARM_BALANCE_WEBHOOK_URL: `${u}/hook/${SECRET}` }), secret: SECRET },
  // The Alertmanager address is not a secret setting; it holds none here, and the whole URL is checked instead.
  { kind: 'alertmanager', env: (u) => ({ SWARM_BALANCE_ALERTMANAGER_URL: u }), secret: '/api/v2/alerts' },
];

const DASHBOARD = 'https://grafana.example/d/swarm-balance?var-stack=shop&from=now-1h';

/** A collapse as the evaluator reports it: three replicas, one takes 96 %. */
function event(kind: AlertEvent['kind'], service = 'svcalpha', over: Partial<AlertEvent> = {}): AlertEvent {
  const now = Date.now();
  return collapseEvent(
    kind,
    now - 5 * 60_000,
    {
      names: { service, serviceId: `svc-${service}`, tasks: `shop_${service}` },
      hot: { slot: 2, share: 0.96, others: 0.02 },
      signal: { name: 'connections', imbalance: 0.94 },
      pinning: `shop_${service}.2 on node-2 takes 96 % of the traffic; 100 % of its 8 connections come from shop_proxy.1 (10.0.1.23 on node-1)`,
      ports: [{ target: 80, published: 8080, protocol: 'tcp', publishMode: 'ingress' }],
      dashboardUrl: DASHBOARD,
    },
    { now, over },
  );
}

/** The worst a channel must carry: 200 replicas, and names and texts full of markup, mentions and length. */
function hugeEvent(): AlertEvent {
  const hostile = (i: number) => `<b>&amp;@everyone @here _*~\`|[x](y)</b> ${i} `;
  const replicas = Array.from({ length: 200 }, (_, i) => ({
    name: `shop_svcalpha.${i + 1}.${'t'.repeat(40)}`,
    slot: String(i + 1),
    node: `node-${hostile(i)}`,
    share: i === 0 ? 0.9 : 0.1 / 199,
  }));
  return event('firing', 'svcalpha', {
    stack: `shop${hostile(0)}`,
    hot: replicas[0]!,
    replicasShare: replicas,
    replicas: { running: 200, desired: 200 },
    pinning: hostile(1).repeat(300),
    cause: `${hostile(2)} \`code <i>\` `.repeat(200),
    fix: `use \`keepalive_requests 100;\` & ${hostile(3)}`.repeat(150),
    command: `docker service update ${'--publish-add mode=host,target=80,published=8080 '.repeat(100)}svcalpha`,
    dashboardUrl: 'https://grafana.example/d/sb?var-service=svc&from=now-1h&to=now#(panel)',
  });
}

interface Rig {
  standin: Standin;
  url: string;
  notifier: Notifier;
  lines: string[];
  counts: { channel: string; outcome: Outcome }[];
  counted(outcome: Outcome): number;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The real channel from config, a real poster (1 s timeout), a Notifier with short backoff, and a stand-in. */
async function rig(c: ChannelCase, script: Script = []): Promise<Rig> {
  const standin = await startStandin(c.kind, script);
  closers.push(() => standin.close());
  const channels = configuredChannels(parseConfig(c.env(standin.url), [], noFile));
  expect(channels.map((ch) => ch.name)).toEqual([c.kind]);
  const poster = createPoster(1000);
  const lines: string[] = [];
  const counts: Rig['counts'] = [];
  const notifier = testNotifier(
    channels,
    poster.post,
    pino(
      { level: 'debug' },
      {
        write: (line: string) => {
          lines.push(line);
        },
      },
    ),
    counts,
  );
  closers.push(async () => {
    notifier.close();
    await poster.close();
  });
  return {
    standin,
    url: channels[0]!.url,
    notifier,
    lines,
    counts,
    counted: (o) => counts.filter((x) => x.outcome === o).length,
  };
}

const seen = (r: Rig) => () =>
  `requests: ${JSON.stringify(r.standin.requests.map((q) => ({ answer: q.answer, status: q.status, verdict: q.verdict })))}\nlog:\n${r.lines.join('')}`;
const waitCount = (r: Rig, outcome: Outcome, n: number, ms = 10_000) =>
  waitFor(async () => r.counted(outcome) >= n, ms, `${n} × ${outcome}`, seen(r));
const accepted = (q: SeenRequest) => q.verdict.ok && q.status !== null && q.status >= 200 && q.status < 300;

/** Neither the channel URL nor its secret part in any log line or metric label. */
function expectNoSecret(r: Rig, c: ChannelCase): void {
  const leaks = [...r.lines, ...r.counts.map((x) => JSON.stringify(x))].filter(
    (l) => l.includes(c.secret) || l.includes(r.url),
  );
  expect(leaks).toEqual([]);
}

/** `firing svcalpha`, `resolved svcbravo`, … for each request the stand-in accepted, in order. */
function said(standin: Standin): string[] {
  return standin.requests.filter(accepted).map((q) => {
    const body = q.body;
    const kind = /\[RESOLVED\]|Resolved: traffic is spread again/.test(body)
      ? 'resolved'
      : /\[FIRING\]|Traffic collapsed onto one replica/.test(body)
        ? 'firing'
        : 'other';
    const service = ['svcalpha', 'svcbravo'].find((s) => body.includes(s)) ?? '?';
    return `${kind} ${service}`;
  });
}

describe.each(CASES)('the $kind channel against its stand-in', (c) => {
  it('delivers a firing alert once, and the stand-in finds it valid', async () => {
    const r = await rig(c);
    r.notifier.announce(event('firing'));
    await waitCount(r, 'sent', 1);
    await sleep(300);
    expect(r.standin.requests).toHaveLength(1);
    expect(r.standin.requests[0]!.verdict).toEqual({ ok: true, problems: [] });
    expect(r.standin.requests[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect(said(r.standin)).toEqual(['firing svcalpha']);
    expect(r.counts).toEqual([{ channel: c.kind, outcome: 'sent' }]);
    expectNoSecret(r, c);
  });

  it("delivers a huge alert full of markup within the service's documented limits", async () => {
    const r = await rig(c);
    r.notifier.announce(hugeEvent());
    await waitFor(async () => r.counted('sent') + r.counted('failed') >= 1, 10_000, 'one outcome', seen(r));
    expect(r.standin.requests[0]!.verdict).toEqual({ ok: true, problems: [] });
    expect(r.counts).toEqual([{ channel: c.kind, outcome: 'sent' }]);
  });

  it('waits out a 429 with Retry-After: 2 before it tries again, then delivers once', async () => {
    const r = await rig(c, [{ rateLimitSeconds: 2 }]);
    r.notifier.announce(event('firing'));
    await waitCount(r, 'sent', 1);
    const [limited, retry] = r.standin.requests;
    expect(r.standin.requests).toHaveLength(2);
    expect(limited!.status).toBe(429);
    const gap = retry!.at - limited!.answeredAt!;
    expect(gap).toBeGreaterThanOrEqual(2000 - 50);
    expect(gap).toBeLessThan(2000 + 1000);
    expect(accepted(retry!)).toBe(true);
    expect([r.counted('rate_limited'), r.counted('sent'), r.counted('retry'), r.counted('failed')]).toEqual([
      1, 1, 0, 0,
    ]);
    expectNoSecret(r, c);
  });

  it('retries after a 500 and delivers the message exactly once', async () => {
    const r = await rig(c, ['server-error']);
    r.notifier.announce(event('firing'));
    await waitCount(r, 'sent', 1);
    await sleep(300);
    expect(r.standin.requests.map((q) => q.status)).toEqual([500, expect.any(Number)]);
    expect(r.standin.requests.filter(accepted)).toHaveLength(1);
    expect([r.counted('retry'), r.counted('sent'), r.counted('failed')]).toEqual([1, 1, 0]);
    expectNoSecret(r, c);
  });

  it('gives up on an attempt that hangs after the 1 s timeout and retries it', async () => {
    const r = await rig(c, ['hang']);
    r.notifier.announce(event('firing'));
    await waitCount(r, 'sent', 1);
    const [hung, retry] = r.standin.requests;
    expect(r.standin.requests).toHaveLength(2);
    expect(hung!.status).toBeNull();
    expect(hung!.abandoned).toBe(true);
    expect(retry!.at - hung!.at).toBeGreaterThanOrEqual(1000 - 50);
    expect(retry!.at - hung!.at).toBeLessThan(1000 + 1100 + 1000);
    expect(accepted(retry!)).toBe(true);
    expect([r.counted('retry'), r.counted('sent')]).toEqual([1, 1]);
    expectNoSecret(r, c);
    const warning = r.lines
      .map((l) => JSON.parse(l) as { msg: string; why?: unknown })
      .find((l) => l.msg === 'notification not delivered yet; retrying');
    // The reason names the timeout, as a string (a log reader greps it).
    expect(typeof warning?.why).toBe('string');
    expect(String(warning?.why)).toMatch(/timeout/i);
  });

  it("gives up at once on a 400 with the service's own error body: counted failed, not retried, the body logged, the URL not", async () => {
    const r = await rig(c, ['bad-request']);
    r.notifier.announce(event('firing'));
    await waitCount(r, 'failed', 1);
    await sleep(1500);
    expect(r.standin.requests).toHaveLength(1);
    expect(r.standin.requests[0]!.status).toBe(400);
    expect(r.counts).toEqual([{ channel: c.kind, outcome: 'failed' }]);
    const givenUp = r.lines
      .map((l) => JSON.parse(l) as { msg: string; level: number; why?: string })
      .filter((l) => l.msg === 'notification given up');
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0]!.level).toBe(50);
    // retry.ts keeps the body to one line of at most 200 characters.
    const body = r.standin.badRequestBody;
    expect(givenUp[0]!.why).toBe(`HTTP 400: ${body.length > 200 ? `${body.slice(0, 200)}…` : body}`);
    expectNoSecret(r, c);
  });

  it('loses nothing still relevant while the channel refuses connections for a while', async () => {
    const r = await rig(c);
    await r.standin.down();
    const alphaFiring = event('firing', 'svcalpha');
    r.notifier.announce(alphaFiring);
    await waitCount(r, 'retry', 1);
    const bravoFiring = event('firing', 'svcbravo');
    r.notifier.announce(bravoFiring);
    r.notifier.announce({ ...bravoFiring, kind: 'resolved', at: Date.now(), endedAt: Date.now() });
    r.notifier.announce({ ...alphaFiring, kind: 'resolved', at: Date.now(), endedAt: Date.now() });
    await sleep(2000);
    expect(r.standin.requests).toHaveLength(0);
    await r.standin.up();
    await waitFor(async () => r.notifier.pending() === 0, 15_000, 'an empty queue', seen(r));
    expect(r.standin.requests.every((q) => q.verdict.ok)).toBe(true);
    expect(r.counted('retry')).toBeGreaterThanOrEqual(1);
    expect(r.lines.some((l) => l.includes('channel delivers again'))).toBe(true);
    expectNoSecret(r, c);
    // README "Delivery": a collapse that fired and resolved while the channel was down arrives folded into one
    // resolved message. Observed: svcbravo's firing (never tried) is folded and counted dropped, but svcalpha's
    // firing, at the head and waiting for its next retry when the resolve came, is not withdrawn
    // (channel-queue.ts keeps items[0]); it arrives stale, just before its resolved message:
    // ['firing svcalpha', 'resolved svcbravo', 'resolved svcalpha'], sent 3, dropped 1.
    expect(said(r.standin)).toEqual(['resolved svcbravo', 'resolved svcalpha']);
    expect([r.counted('sent'), r.counted('dropped'), r.counted('failed')]).toEqual([2, 2, 0]);
  });
});

describe('a channel that answers 500 for a while', () => {
  it('folds a firing and its resolve queued behind the failing message, and delivers every resolve once it is back', async () => {
    const c = CASES.find((x) => x.kind === 'webhook')!;
    let backAt = Infinity;
    const r = await rig(c, (_i, q) => (q.at < backAt ? 'server-error' : 'normal'));
    backAt = Date.now() + 2500;
    r.notifier.announce(event('firing', 'svcalpha'));
    await waitCount(r, 'retry', 1);
    const bravo = event('firing', 'svcbravo');
    r.notifier.announce(bravo);
    r.notifier.announce({ ...bravo, kind: 'resolved', at: Date.now(), endedAt: Date.now() });
    await waitFor(async () => r.notifier.pending() === 0, 15_000, 'an empty queue', seen(r));
    expect(said(r.standin)).toEqual(['firing svcalpha', 'resolved svcbravo']);
    expect(r.standin.requests.filter((q) => q.status === 500).length).toBeGreaterThanOrEqual(2);
    expect([r.counted('sent'), r.counted('dropped'), r.counted('failed')]).toEqual([2, 1, 0]);
    expectNoSecret(r, c);
  });
});

describe("Discord 429 with only the body's retry_after (seconds, a float)", () => {
  it('waits 1.5 s, not less', async () => {
    const c = CASES.find((x) => x.kind === 'discord')!;
    const r = await rig(c, [{ rateLimitSeconds: 1.5, via: 'body' }]);
    r.notifier.announce(event('firing'));
    await waitCount(r, 'sent', 1);
    const [limited, retry] = r.standin.requests;
    expect(limited!.status).toBe(429);
    const gap = retry!.at - limited!.answeredAt!;
    expect(gap).toBeGreaterThanOrEqual(1500 - 50);
    expect(gap).toBeLessThan(1500 + 1000);
  });
});

describe('the stand-ins themselves', () => {
  const many = (n: number, make: (i: number) => unknown) => Array.from({ length: n }, (_, i) => make(i));
  const cases: [string, StandinKind, string, unknown, number, string][] = [
    ['a body without text or blocks', 'slack', '/services/T0/B0/x', {}, 400, 'no_text'],
    [
      '51 blocks',
      'slack',
      '/services/T0/B0/x',
      { text: 'x', blocks: many(51, () => ({ type: 'divider' })) },
      400,
      'invalid_blocks',
    ],
    [
      'a section text of 3001 characters',
      'slack',
      '/services/T0/B0/x',
      { blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] },
      400,
      'invalid_blocks',
    ],
    [
      'an empty message',
      'discord',
      '/api/webhooks/1/x',
      {},
      400,
      '{"code":50006,"message":"Cannot send an empty message"}',
    ],
    [
      'an embed with 26 fields',
      'discord',
      '/api/webhooks/1/x',
      { embeds: [{ title: 't', fields: many(26, () => ({ name: 'n', value: 'v' })) }] },
      400,
      '"code":50035',
    ],
    [
      'embeds of 6002 characters in total',
      'discord',
      '/api/webhooks/1/x',
      { embeds: many(2, () => ({ description: 'x'.repeat(3001) })) },
      400,
      'MAX_EMBED_SIZE_EXCEEDED',
    ],
    [
      'an unsupported HTML tag',
      'telegram',
      '/bot1:x/sendMessage',
      { chat_id: '1', text: '<p>hi</p>', parse_mode: 'HTML' },
      400,
      'can\'t parse entities: Unsupported start tag \\"p\\" at byte offset 0',
    ],
    [
      'an unclosed HTML tag',
      'telegram',
      '/bot1:x/sendMessage',
      { chat_id: '1', text: '<b>hi', parse_mode: 'HTML' },
      400,
      'Can\'t find end tag corresponding to start tag \\"b\\"',
    ],
    [
      'a text of 4097 characters',
      'telegram',
      '/bot1:x/sendMessage',
      { chat_id: '1', text: 'x'.repeat(4097) },
      400,
      'message is too long',
    ],
    [
      'a body that is not a message with attachments',
      'teams',
      '/wf',
      { text: 'hello' },
      400,
      'TriggerInputSchemaMismatch',
    ],
    [
      'a card whose type is not AdaptiveCard',
      'teams',
      '/wf',
      {
        type: 'message',
        attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'MessageCard' } }],
      },
      400,
      "must be 'AdaptiveCard'",
    ],
    ['a body without text or attachments', 'mattermost', '/hooks/x', {}, 400, 'web.incoming_webhook.text.app_error'],
    [
      'a body without the v1 fields',
      'webhook',
      '/hook',
      { schema: 'swarm-balance.alert/v1' },
      400,
      'is missing or invalid',
    ],
    [
      'an alert without labels',
      'alertmanager',
      '/api/v2/alerts',
      [{ labels: {} }],
      400,
      '"at least one label pair required"',
    ],
    [
      'an alert that ends before it starts',
      'alertmanager',
      '/api/v2/alerts',
      [{ labels: { alertname: 'x' }, startsAt: '2026-01-02T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' }],
      400,
      '"start time must be before end time"',
    ],
  ];

  it.each(cases)('refuses %s the way the service does (%s)', async (_what, kind, path, body, status, answer) => {
    const standin = await startStandin(kind);
    closers.push(() => standin.close());
    const res = await fetch(`${standin.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(status);
    expect(await res.text()).toContain(answer);
    expect(standin.requests[0]!.verdict.ok).toBe(false);
  });
});

describe('swarm-balance notify-test against all seven stand-ins', () => {
  const standins: Standin[] = [];
  let env: Record<string, string> = {};

  beforeAll(async () => {
    await run('npm', ['run', 'build'], { timeout: 180_000 });
    for (const c of CASES) {
      const s = await startStandin(c.kind);
      standins.push(s);
      env = { ...env, ...c.env(s.url) };
    }
  });

  afterAll(async () => {
    for (const s of standins) await s.close();
  });

  const notifyTest = () =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ['dist/cli.js', 'notify-test'],
        {
          env: { PATH: process.env.PATH ?? '', ...env, SWARM_BALANCE_NOTIFY_TIMEOUT: '3s' },
          timeout: 60_000,
        },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr }),
      );
    });

  it('prints one ok line per channel and exits 0 when every channel accepts the test message', async () => {
    const { code, stdout, stderr } = await notifyTest();
    expect(stderr).toBe('');
    expect(stdout.trimEnd().split('\n')).toEqual([
      'ok    slack        HTTP 200 ok',
      'ok    teams        HTTP 202',
      'ok    discord      HTTP 204',
      'ok    mattermost   HTTP 200 ok',
      expect.stringMatching(/^ok {4}telegram {5}HTTP 200 \{"ok":true,"result":\{/),
      'ok    webhook      HTTP 204',
      'ok    alertmanager HTTP 200',
    ]);
    expect(code).toBe(0);
    for (const s of standins) {
      expect(s.requests, s.kind).toHaveLength(1);
      expect(s.requests[0]!.verdict, s.kind).toEqual({ ok: true, problems: [] });
      expect(s.requests[0]!.body, s.kind).toMatch(/TEST|"test":"true"/);
    }
    expect(`${stdout}${stderr}`).not.toContain(SECRET);
  });

  it("prints FAIL with the service's answer for the channel that refuses, and exits 1", async () => {
    const discord = standins.find((s) => s.kind === 'discord')!;
    discord.setScript(['bad-request']);
    const { code, stdout } = await notifyTest();
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[2]).toBe(`FAIL  discord      HTTP 400 ${discord.badRequestBody}`);
    expect(lines.filter((l) => l.startsWith('ok    '))).toHaveLength(6);
    expect(code).toBe(1);
    expect(stdout).not.toContain(SECRET);
  });

  it('prints FAIL naming the timeout for a channel that never answers, and exits 1', async () => {
    const teams = standins.find((s) => s.kind === 'teams')!;
    standins.find((s) => s.kind === 'discord')!.setScript([]);
    teams.setScript(['hang']);
    const { code, stdout } = await notifyTest();
    const lines = stdout.trimEnd().split('\n');
    expect(lines[1]).toMatch(/^FAIL {2}teams {8}no answer \(.*timeout.*\)$/i);
    expect(lines.filter((l) => l.startsWith('ok    '))).toHaveLength(6);
    expect(code).toBe(1);
  });
});
