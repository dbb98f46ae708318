// Every channel says a collapse onto a subset plainly: the headline, the carrying and idle replicas, and the
// cause; and keeps to its limits when the subset is large.
import { describe, expect, it } from 'vitest';
import type { AlertEvent, AlertReplica } from '../../../src/core/alert.js';
import * as channel from './renderers.js';
import { jsonBytes } from '../../../src/core/render/shared.js';
import { alertEvent, replica } from './fixtures.js';

/** `carrying` of `n` replicas share the traffic evenly; the rest idle. */
function subsetEvent(n: number, carrying: number, over: Partial<AlertEvent> = {}): AlertEvent {
  const shares: AlertReplica[] = Array.from({ length: n }, (_, i) => replica(i + 1, i < carrying ? 1 / carrying : 0));
  const busy = shares.slice(0, carrying);
  const idle = shares.slice(carrying);
  return alertEvent('firing', {
    replicasShare: shares,
    hot: shares[0]!,
    replicas: { running: n, desired: n },
    collapse: {
      carrying: busy,
      idle,
      pattern: 'started-later',
      text: `traffic collapsed onto ${carrying} of ${n} replicas (slots ${busy
        .slice(0, 8)
        .map((r) => r.slot)
        .join(', ')}${carrying > 8 ? `, … (${carrying - 8} more)` : ''}); ${n - carrying} idle`,
    },
    ...over,
  });
}

const HEADLINE = 'Traffic collapsed onto 2 of 6 replicas';
const PHRASE = 'traffic collapsed onto 2 of 6 replicas (slots 1, 2); 4 idle';

describe('a collapse onto 2 of 6 replicas in every channel', () => {
  const e = subsetEvent(6, 2);
  it.each<[string, () => unknown]>([
    ['Slack', () => channel.renderSlack(e)],
    ['Teams', () => channel.renderTeams(e)],
    ['Discord', () => channel.renderDiscord(e)],
    ['Mattermost', () => channel.renderMattermost(e)],
    ['Telegram', () => channel.renderTelegram(e, '42')],
  ])('%s names the subset in its headline and body', (_channel, render) => {
    const text = JSON.stringify(render());
    expect(text).toContain(HEADLINE);
    expect(text).toContain(PHRASE);
    expect(text).toContain('Hot replicas');
    expect(text).not.toContain('Traffic collapsed onto one replica');
  });

  it('Alertmanager and the webhook carry it in the summary', () => {
    expect(channel.renderAlertmanager(e)[0]!.annotations.summary).toBe(
      `[FIRING] shop_web (stack shop): ${PHRASE}, for 5m`,
    );
    expect(channel.renderAlertmanager(e)[0]!.annotations.description).toContain(`Hot replicas: ${PHRASE}`);
    expect(channel.renderWebhook(e)).toMatchObject({
      summary: `[FIRING] shop_web (stack shop): ${PHRASE}, for 5m`,
      collapse: { text: PHRASE, pattern: 'started-later' },
    });
  });

  it('keeps the one-replica wording for a collapse onto one replica', () => {
    const one = subsetEvent(3, 1);
    expect(JSON.stringify(channel.renderSlack(one))).toContain('Traffic collapsed onto one replica');
    expect(channel.renderWebhook(one).summary).toBe(
      '[FIRING] shop_web (stack shop): slot 1 on node-1 takes 100 % of traffic, for 5m',
    );
  });
});

describe('a collapse onto 60 of 200 replicas', () => {
  const e = subsetEvent(200, 60);
  it("fits every channel's limits", () => {
    expect(channel.fitsSlack(channel.renderSlack(e))).toBe(true);
    expect(channel.fitsDiscord(channel.renderDiscord(e))).toBe(true);
    expect(channel.embedChars(channel.renderDiscord(e))).toBeLessThanOrEqual(6000);
    expect(channel.fitsMattermost(channel.renderMattermost(e))).toBe(true);
    expect(jsonBytes(channel.renderTeams(e))).toBeLessThanOrEqual(channel.TEAMS_LIMITS.bytes);
    expect(channel.visibleLength(channel.renderTelegram(e, '42').text)).toBeLessThanOrEqual(
      channel.TELEGRAM_LIMITS.text,
    );
  });

  it('names at most five hot replicas in the text and says there are more', () => {
    const slack = JSON.stringify(channel.renderSlack(e));
    expect(slack).toContain('Traffic collapsed onto 60 of 200 replicas');
    expect(slack).toContain('slot 5 on node-5 2 %, …');
    expect(slack).not.toContain('slot 6 on node-6 2 %');
  });
});
