import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  codeSafe,
  defuseMentions,
  escapeDiscord,
  escapeHtml,
  escapeMarkdown,
  escapeMattermost,
  escapeSlack,
  fitBudget,
  shareBar,
  shareLines,
  sortedReplicas,
  truncate,
} from '../../../src/core/render/shared.js';
import { summaryLine } from '../../../src/core/render/words.js';
import { alertEvent, replica, replicas } from './fixtures.js';

describe('truncate', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['eleven char', 10, 'eleven ch…'],
    ['abc', 1, '…'],
    ['abc', 0, ''],
  ])('cuts %j to at most %i units as %j', (text, max, out) => {
    expect(truncate(text, max)).toBe(out);
  });

  it('never splits a surrogate pair, a flag or a combining mark', () => {
    expect(truncate('ab😀😀😀', 4)).toBe('ab…');
    expect(truncate('ab😀😀😀', 5)).toBe('ab😀…');
    expect(truncate('🇩🇪🇩🇪🇩🇪', 6)).toBe('🇩🇪…');
    expect(truncate('e\u0301e\u0301e\u0301', 4)).toBe('e\u0301…');
  });

  it('measures the escaped text and never cuts inside an entity', () => {
    expect(truncate('a&b&c&d', 12, escapeHtml)).toBe('a&amp;b…');
    expect(truncate('a&b&c&d', 7, escapeHtml)).toBe('a&amp;…');
    expect(truncate('a&b&c&d', 6, escapeHtml)).toBe('a…');
  });

  it('keeps any text within the limit and returns a prefix of it', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), fc.integer({ min: 1, max: 40 }), (text, max) => {
        const out = truncate(text, max);
        return out.length <= max && (out === text || text.startsWith(out.slice(0, -1)));
      }),
      { seed: 20260301 },
    );
  });
});

describe('escapers', () => {
  it.each([
    ['Slack', escapeSlack, '<b>&_*[x]', '&lt;b&gt;&amp;_*[x]'],
    ['Telegram HTML', escapeHtml, '<b>&_*[x] "q"', '&lt;b&gt;&amp;_*[x] "q"'],
    ['markdown', escapeMarkdown, '<b>&_*[x]', '\\<b\\>&\\_\\*\\[x\\]'],
    ['Discord', escapeDiscord, '@everyone <b>', '\\@everyone \\<b\\>'],
    ['Mattermost', escapeMattermost, '@channel _x_', '@\u200Bchannel \\_x\\_'],
    ['mention defusing', defuseMentions, '@here @all', '@\u200Bhere @\u200Ball'],
    ['code blocks', codeSafe, 'a```b', 'aˋˋˋb'],
  ])('%s escaping turns %j into %j', (_name, escape, raw, out) => {
    expect(escape(raw)).toBe(out);
  });
});

describe('shareBar', () => {
  it.each([
    [0.83, '████████··  83 %'],
    [1, '██████████ 100 %'],
    [0, '··········   0 %'],
    [0.04, '··········   4 %'],
    [null, '??????????   ? %'],
  ])('draws %s as %j', (share, bar) => {
    expect(shareBar(share)).toBe(bar);
  });

  it('draws the example from the brief with a width of 10', () => {
    expect(shareBar(0.5)).toBe('█████·····  50 %');
  });
});

describe('shareLines', () => {
  it('puts the largest share first, replicas without figures last, and marks the hot one', () => {
    const e = alertEvent('firing', {
      replicasShare: [replica(2, null), replica(3, 0.1), replica(1, 0.9)],
      hot: replica(1, 0.9),
    });
    expect(sortedReplicas(e).map((r) => r.slot)).toEqual(['1', '3', '2']);
    const { lines, more } = shareLines(e, 20);
    expect(more).toBe(0);
    expect(lines[0]).toBe('slot 1  node-1  █████████·  90 %  ← hot');
    expect(lines[2]).toContain('??????????   ? %');
  });

  it('caps the rows and counts the rest', () => {
    const e = alertEvent('firing', { replicasShare: replicas(200) });
    const { lines, more } = shareLines(e, 20);
    expect(lines).toHaveLength(20);
    expect(more).toBe(180);
  });
});

describe('fitBudget', () => {
  it('returns the most generous payload that fits', () => {
    expect(
      fitBudget(
        (b) => b.rows,
        (rows) => rows <= 5,
      ),
    ).toBe(5);
    expect(
      fitBudget(
        (b) => b.rows,
        () => false,
      ),
    ).toBe(3);
  });
});

describe('summaryLine', () => {
  it.each([
    ['firing', '[FIRING] shop_web (stack shop): slot 1 on node-1 takes 83 % of traffic, for 5m'],
    ['repeat', '[STILL FIRING] shop_web (stack shop): slot 1 on node-1 takes 83 % of traffic, for 65m'],
    ['resolved', '[RESOLVED] shop_web (stack shop): traffic is spread again, the collapse lasted 12m'],
    ['test', '[TEST] shop_web (stack shop): test message from swarm-balance, nothing is wrong'],
  ] as const)('says what a %s message is about in one line', (kind, line) => {
    expect(summaryLine(alertEvent(kind))).toBe(line);
  });
});
