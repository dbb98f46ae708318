// What every chat channel's message must carry, whatever the channel: table-driven over the renderers.
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertKind } from '../../../src/core/alert.js';
import * as channel from './renderers.js';
import { jsonBytes } from '../../../src/core/render/shared.js';
import { alertEvent, DASHBOARD, hugeEvent, replicas, strings } from './fixtures.js';

const decodeEntities = (s: string) =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
const unescapeMarkdown = (s: string) => s.replace(/\\([^\w\s])/g, '$1').replace(/\u200B/g, '');

interface Channel {
  name: string;
  render: (e: AlertEvent) => unknown;
  /** The payload's text as a reader sees it, markup escapes undone. */
  read: (payload: unknown) => string;
  /** Throws when a documented limit is broken. */
  limits: (payload: unknown) => void;
}

/** A reader that undoes `unescape` on every string of the payload. */
const readWith = (unescape: (s: string) => string) => (p: unknown) => strings(p).map(unescape).join('\n');
/** A limits check over the payload as `render` types it. */
const limitsOf =
  <R extends (e: AlertEvent) => unknown>(_render: R, check: (m: ReturnType<R>) => void) =>
  (p: unknown) =>
    check(p as ReturnType<R>);

const channels: Channel[] = [
  {
    name: 'slack',
    render: channel.renderSlack,
    read: readWith(decodeEntities),
    limits: limitsOf(channel.renderSlack, (m) => {
      expect(m.blocks.length).toBeLessThanOrEqual(channel.SLACK_LIMITS.blocks);
      for (const block of m.blocks) {
        if (block.type === 'header')
          expect(block.text.text.length).toBeLessThanOrEqual(channel.SLACK_LIMITS.headerText);
        if (block.type === 'section')
          expect(block.text.text.length).toBeLessThanOrEqual(channel.SLACK_LIMITS.sectionText);
        if (block.type === 'context')
          expect(block.elements.length).toBeLessThanOrEqual(channel.SLACK_LIMITS.contextElements);
      }
      expect(m.text.length).toBeLessThanOrEqual(channel.SLACK_LIMITS.sectionText);
    }),
  },
  {
    name: 'teams',
    render: channel.renderTeams,
    read: readWith((s) => s),
    limits: (p) => expect(jsonBytes(p)).toBeLessThan(28_000),
  },
  {
    name: 'discord',
    render: channel.renderDiscord,
    read: readWith(unescapeMarkdown),
    limits: limitsOf(channel.renderDiscord, (m) => {
      const L = channel.DISCORD_LIMITS;
      expect(channel.embedChars(m)).toBeLessThanOrEqual(L.total);
      for (const em of m.embeds) {
        expect(em.title.length).toBeLessThanOrEqual(L.title);
        expect(em.description.length).toBeLessThanOrEqual(L.description);
        expect(em.footer.text.length).toBeLessThanOrEqual(L.footer);
        expect(em.fields.length).toBeLessThanOrEqual(L.fields);
        for (const f of em.fields) {
          expect(f.name.length).toBeLessThanOrEqual(L.fieldName);
          expect(f.value.length).toBeLessThanOrEqual(L.fieldValue);
        }
      }
    }),
  },
  {
    name: 'mattermost',
    render: channel.renderMattermost,
    read: readWith(unescapeMarkdown),
    limits: limitsOf(channel.renderMattermost, (m) => {
      expect(m.text.length).toBeLessThanOrEqual(channel.MATTERMOST_LIMITS.text);
      expect(JSON.stringify(m.attachments).length).toBeLessThanOrEqual(channel.MATTERMOST_LIMITS.attachments);
    }),
  },
  {
    name: 'telegram',
    render: (e) => channel.renderTelegram(e, '-1001234567890'),
    read: (p) => decodeEntities((p as ReturnType<typeof channel.renderTelegram>).text),
    limits: (p) => {
      const length = channel.visibleLength((p as ReturnType<typeof channel.renderTelegram>).text);
      expect(length).toBeGreaterThan(0);
      expect(length).toBeLessThanOrEqual(channel.TELEGRAM_LIMITS.text);
    },
  },
  {
    name: 'alertmanager',
    render: (e) => channel.renderAlertmanager(e),
    read: (p) => strings(p).join('\n'),
    limits: () => undefined,
  },
];

describe.each(channels)('the $name message', (channel) => {
  const read = (e: AlertEvent) => channel.read(channel.render(e));

  it('names the service and stack, the replicas, the hot replica, the pinning client and how long it lasted', () => {
    const text = read(alertEvent('firing'));
    for (const part of [
      'shop_web',
      'shop',
      '3/3 running',
      'slot 1 on node-1 takes 83 % of traffic',
      'proxy.1 (10.0.1.23 on node-9)',
      '5m',
    ]) {
      expect(text).toContain(part);
    }
  });

  it('lists the share of every replica as bars', () => {
    const text = read(alertEvent('firing'));
    expect(text).toContain('node-1  ████████··  83 %');
    expect(text).toContain('node-2  █·········  10 %');
    expect(text).toContain('node-3  █·········   7 %');
  });

  it('gives the likely cause, the fix, the exact command and the dashboard link', () => {
    const e = alertEvent('firing');
    const text = read(e);
    expect(text).toContain('the routing mesh balances connections, not requests');
    expect(text).toContain('keepalive_requests');
    expect(text).toContain(e.command);
    expect(text).toContain(DASHBOARD);
  });

  it('leaves out the command and the link when there are none', () => {
    const text = read(alertEvent('firing', { command: null, dashboardUrl: null }));
    expect(text).not.toContain('docker service update');
    expect(text).not.toContain('grafana.example.com');
  });

  it('shows at most 20 replicas and says how many more there are', () => {
    const text = read(alertEvent('firing', { replicasShare: replicas(200), hot: replicas(200)[0]! }));
    expect(text).toContain('slot 20 ');
    expect(text).not.toContain('slot 21 ');
    expect(text).toContain('and 180 more replicas');
  });

  it.each(['firing', 'repeat', 'resolved', 'test'] as AlertKind[])(
    'keeps to its limits for a %s message about 200 replicas with huge names',
    (kind) => {
      const payload = channel.render(hugeEvent(kind));
      channel.limits(payload);
      expect(channel.read(payload)).toMatch(/more replicas/);
    },
  );

  it('says clearly that a test message is a test, and a real one is not', () => {
    expect(read(alertEvent('test'))).toMatch(/TEST message.*Nothing is wrong/);
    expect(read(alertEvent('firing'))).not.toMatch(/\bTEST\b/);
  });

  it('says that a resolved collapse ended and how long it lasted', () => {
    const text = read(alertEvent('resolved'));
    expect(text).toContain('ended at 2026-03-01T12:12:00Z');
    expect(text).toContain('lasted 12m');
    expect(read(alertEvent('firing'))).not.toContain('lasted');
  });

  it('marks a repeat as still going on', () => {
    expect(read(alertEvent('repeat'))).toMatch(/still/i);
    expect(read(alertEvent('repeat'))).toContain('65m');
  });
});
