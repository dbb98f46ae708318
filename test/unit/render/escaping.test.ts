// Names come from the cluster: markup in them must show as text and never ping anyone.
import { describe, expect, it } from 'vitest';
import * as channel from './renderers.js';
import { alertEvent, EVERYONE, NASTY, replica, strings } from './fixtures.js';

/** Service `<b>&_*[x]`, stack `@everyone`, hot replica on node `<b>&_*[x]`, pinning mentioning @here. */
function nastyEvent() {
  const hot = replica(1, 0.9, { node: NASTY, name: `${NASTY}.1` });
  return alertEvent('firing', {
    service: NASTY,
    stack: EVERYONE,
    replicasShare: [hot, replica(2, 0.1)],
    hot,
    pinning: `${NASTY}.1 takes 90 %; @here <!channel> [link](http://evil.example)`,
  });
}

describe('Slack', () => {
  const m = channel.renderSlack(nastyEvent());
  const mrkdwn = m.blocks.flatMap((b) =>
    b.type === 'section' ? [b.text.text] : b.type === 'context' ? b.elements.map((el) => el.text) : [],
  );

  it('sends &, < and > as entities in every mrkdwn text and in the fallback', () => {
    for (const text of [...mrkdwn, m.text]) {
      expect(text).not.toMatch(/<b>|<!channel>/);
      expect(text).not.toMatch(/&(?!amp;|lt;|gt;)/);
    }
    expect(mrkdwn.join('\n')).toContain('&lt;b&gt;&amp;_*[x]');
    expect(m.text).toContain('&lt;b&gt;&amp;_*[x]');
  });

  it('keeps only its own <url|label> link syntax', () => {
    expect(mrkdwn.join('\n').match(/<[^>]*>/g)).toEqual([
      '<https://grafana.example.com/d/swarm-balance?var-service=shop_web&amp;from=now-1h|Open the dashboard>',
    ]);
  });

  it('shows the name as it is in the plain-text header, which Slack does not parse', () => {
    const header = m.blocks[0]!;
    expect(header.type === 'header' && header.text.type).toBe('plain_text');
    expect(header.type === 'header' && header.text.text).toContain(NASTY);
  });
});

describe('Teams', () => {
  const card = channel.renderTeams(nastyEvent()).attachments[0]!.content;
  const markdownTexts = strings(card.body.filter((el) => el.type === 'TextBlock' || el.type === 'FactSet'));

  it('keeps cluster values out of every element that reads markdown', () => {
    for (const text of markdownTexts) {
      expect(text).not.toContain('<b>');
      expect(text).not.toContain(EVERYONE);
    }
  });

  it('shows them verbatim in TextRuns, which read no markdown', () => {
    const runs = strings(card.body.filter((el) => el.type === 'RichTextBlock'));
    expect(runs).toContain(NASTY);
    expect(runs).toContain(EVERYONE);
  });
});

describe('Discord', () => {
  const m = channel.renderDiscord(nastyEvent());
  const texts = strings(m.embeds);

  it('parses no mentions at all', () => {
    expect(m.allowed_mentions).toEqual({ parse: [] });
  });

  it('backslash-escapes markdown and @ in the names', () => {
    const all = texts.join('\n');
    expect(all).toContain('\\<b\\>&\\_\\*\\[x\\]');
    expect(all).toContain('\\@everyone');
    expect(all).toContain('\\@here');
    expect(all).not.toMatch(/(^|[^\\])@(everyone|here)/);
    expect(all).not.toMatch(/(^|[^\\])\[link\]/);
  });
});

describe('Mattermost', () => {
  const m = channel.renderMattermost(nastyEvent());
  const all = strings(m).join('\n');

  it('backslash-escapes markdown in the names', () => {
    expect(all).toContain('\\<b\\>&\\_\\*\\[x\\]');
    expect(all).not.toMatch(/(^|[^\\])\[link\]/);
  });

  it('breaks every @-mention, in text, attachment, fields and fallback alike', () => {
    expect(all).not.toMatch(/@(everyone|here|channel|all)/);
    expect(all).toContain('@\u200Beveryone');
    expect(m.attachments[0]!.fallback).toContain('@\u200Beveryone');
  });
});

describe('Telegram', () => {
  const text = channel.renderTelegram(nastyEvent(), '42').text;

  it('escapes <, > and & in every value and uses only the tags Telegram supports', () => {
    expect(text).toContain('<code>&lt;b&gt;&amp;_*[x]</code>');
    expect(text).not.toMatch(/&(?!amp;|lt;|gt;|quot;)/);
    const tags = new Set([...text.matchAll(/<\/?([a-z]+)[^>]*>/g)].map((t) => t[1]));
    expect([...tags].every((t) => ['b', 'i', 'code', 'pre', 'a'].includes(t!))).toBe(true);
  });

  it('keeps markdown characters as they are, since HTML mode does not read them', () => {
    expect(text).toContain('_*[x]');
    expect(text).not.toContain('\\_');
  });
});

describe('machine-readable channels', () => {
  it('keep the names exactly, since JSON needs no escaping', () => {
    const e = nastyEvent();
    expect(channel.renderAlertmanager(e)[0]!.labels).toMatchObject({ service: NASTY, stack: EVERYONE });
    expect(channel.renderWebhook(e).service).toMatchObject({ name: NASTY, stack: EVERYONE });
  });
});
