// Each body has the shape its service documents, and the state shows in it (colour, words).
import { describe, expect, it } from 'vitest';
import type { AlertKind } from '../../../src/core/alert.js';
import {
  DISCORD_COLORS,
  MATTERMOST_COLORS,
  renderDiscord,
  renderMattermost,
  renderSlack,
  renderTeams,
  renderTelegram,
  renderers,
  TEAMS_COLORS,
} from './renderers.js';
import { alertEvent, DASHBOARD } from './fixtures.js';

const KINDS: AlertKind[] = ['firing', 'repeat', 'resolved', 'test'];

describe('Slack', () => {
  it('sends header, section and context blocks with a plain-text fallback', () => {
    const m = renderSlack(alertEvent('firing'));
    expect(Object.keys(m).sort()).toEqual(['blocks', 'text']);
    expect(m.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'section',
      'section',
      'section',
      'context',
    ]);
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', emoji: true } });
    expect(
      m.blocks.filter((b) => b.type === 'section').every((b) => b.type === 'section' && b.text.type === 'mrkdwn'),
    ).toBe(true);
    expect(m.text).toBe('[FIRING] shop_web (stack shop): slot 1 on node-1 takes 83 % of traffic, for 5m');
  });

  it('puts the share table in a code block', () => {
    const table = renderSlack(alertEvent('firing')).blocks[2]!;
    expect(table.type === 'section' && table.text.text).toMatch(
      /^\*Traffic share per replica\*\n```\nslot 1 {2}node-1 {2}████████·· {2}83 % {2}← hot\n[\s\S]*```$/,
    );
  });
});

describe('Teams', () => {
  it('wraps one Adaptive Card 1.4 in a message attachment', () => {
    const m = renderTeams(alertEvent('firing'));
    expect(m.type).toBe('message');
    expect(m.attachments).toHaveLength(1);
    const a = m.attachments[0]!;
    expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(a.content).toMatchObject({
      $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
      type: 'AdaptiveCard',
      version: '1.4',
    });
  });

  it('uses a FactSet for the facts, wrapped TextBlocks, and opens the dashboard from an action', () => {
    const card = renderTeams(alertEvent('firing')).attachments[0]!.content;
    const facts = card.body.find((el) => el.type === 'FactSet');
    expect(facts?.type === 'FactSet' && facts.facts.map((f) => f.title)).toEqual(['Replicas', 'Duration', 'Sent']);
    expect(card.body.filter((el) => el.type === 'TextBlock').every((el) => el.type === 'TextBlock' && el.wrap)).toBe(
      true,
    );
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: DASHBOARD }]);
    expect(renderTeams(alertEvent('firing', { dashboardUrl: null })).attachments[0]!.content).not.toHaveProperty(
      'actions',
    );
  });

  it.each(KINDS)('colours the %s title', (kind) => {
    const title = renderTeams(alertEvent(kind)).attachments[0]!.content.body[0]!;
    expect(title).toMatchObject({ type: 'TextBlock', color: TEAMS_COLORS[kind], weight: 'Bolder' });
  });
});

describe('Discord', () => {
  it('sends one embed with title, description, fields, footer and an ISO timestamp', () => {
    const m = renderDiscord(alertEvent('firing'));
    expect(m.embeds).toHaveLength(1);
    const em = m.embeds[0]!;
    expect(em.timestamp).toBe('2026-03-01T12:05:00.000Z');
    expect(em.url).toBe(DASHBOARD);
    expect(em.fields.map((f) => f.name)).toEqual([
      'Service',
      'Stack',
      'Replicas',
      'Hot replica',
      'Duration',
      'Signal',
      'Likely cause',
      'Fix',
      'Command',
      'Dashboard',
    ]);
    expect(em.footer.text).toBe('swarm-balance · FIRING · alert svc-web:1772366400000');
  });

  it.each([
    ['firing', 0xe53935],
    ['resolved', 0x43a047],
    ['repeat', 0xfb8c00],
    ['test', 0x1e88e5],
  ] as const)('colours a %s embed %i', (kind, color) => {
    expect(renderDiscord(alertEvent(kind)).embeds[0]!.color).toBe(color);
    expect(DISCORD_COLORS[kind]).toBe(color);
  });
});

describe('Mattermost', () => {
  it('sends markdown text and a Slack-compatible attachment with fallback, colour, title, text and short fields', () => {
    const m = renderMattermost(alertEvent('firing'));
    expect(m.text).toBe('🔴 **Traffic collapsed onto one replica** — shop\\_web (stack shop)');
    const a = m.attachments[0]!;
    expect(a.fallback).toBe('[FIRING] shop_web (stack shop): slot 1 on node-1 takes 83 % of traffic, for 5m');
    expect(a.title_link).toBe(DASHBOARD);
    expect(a.fields.slice(0, 4).every((f) => f.short)).toBe(true);
  });

  it.each(KINDS)('colours a %s attachment', (kind) => {
    expect(renderMattermost(alertEvent(kind)).attachments[0]!.color).toBe(MATTERMOST_COLORS[kind]);
  });
});

describe('Telegram', () => {
  it('sends sendMessage parameters in HTML mode without link previews', () => {
    const m = renderTelegram(alertEvent('firing'), '-1001234567890');
    expect(m).toMatchObject({
      chat_id: '-1001234567890',
      parse_mode: 'HTML',
      disable_web_page_preview: true,
      link_preview_options: { is_disabled: true },
    });
    expect(m.text.split('\n')[0]).toBe('<b>🔴 Traffic collapsed onto one replica</b>');
    expect(m.text).toContain(`<a href="${DASHBOARD.replace(/&/g, '&amp;')}">Open the dashboard</a>`);
  });

  it('turns code in the advice into <code>', () => {
    expect(renderTelegram(alertEvent('firing'), '1').text).toContain('(nginx <code>keepalive_requests</code>, HAProxy');
  });
});

describe('every renderer', () => {
  it.each(Object.entries(renderers))('%s gives a JSON body that survives a round trip', (_name, render) => {
    const body = render(alertEvent('firing'));
    expect(JSON.parse(JSON.stringify(body))).toEqual(body);
  });

  it.each(Object.entries(renderers))('%s renders firing, resolved and test differently', (_name, render) => {
    const bodies = (['firing', 'resolved', 'test'] as const).map((k) => JSON.stringify(render(alertEvent(k))));
    expect(new Set(bodies).size).toBe(3);
  });
});

describe('bodies', () => {
  it.each(Object.entries(renderers))('%s holds no undefined value that JSON would silently drop', (_name, render) => {
    const hasUndefined = (v: unknown): boolean =>
      v === undefined || (typeof v === 'object' && v !== null && Object.values(v).some(hasUndefined));
    for (const kind of KINDS)
      expect(hasUndefined(render(alertEvent(kind, { command: null, dashboardUrl: null, pinning: null })))).toBe(false);
  });
});
