import { describe, expect, it } from 'vitest';
import { renderSlackText, slack, SLACK_LIMITS } from '../../../src/channels/slack.js';
import { channelBasics, cutPlainText, textMessage } from './kit.js';

const URL = 'https://hooks.slack.example/services/T0/B0/secret';

channelBasics(slack, { SWARM_BALANCE_SLACK_WEBHOOK_URL: URL }, URL, 1100);

describe('the slack module', () => {
  it('keeps its webhook URL secret, and a blank secret file means "not configured"', () => {
    expect(slack.settings).toEqual([expect.objectContaining({ kind: 'url', secret: true, blankFileIsUnset: true })]);
  });

  it('sends a plain message with &, < and > as entities, so nothing reads as a link or a mention', () => {
    expect(renderSlackText(textMessage(['digest <!channel>', 'a & b']))).toEqual({
      text: 'digest &lt;!channel&gt;\na &amp; b',
    });
  });

  it("cuts a plain message to a section's length", () => {
    const text = cutPlainText(renderSlackText, 'x'.repeat(5000), SLACK_LIMITS.sectionText);
    expect(text.endsWith('…')).toBe(true);
    // Never inside an entity: "&a…" would show as it is.
    for (const pad of [0, 1, 2, 3, 4]) {
      const cut = renderSlackText(textMessage(['x'.repeat(SLACK_LIMITS.sectionText - 5 + pad) + '&&&&&&'])).text;
      expect(cut.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      expect(cut.replace(/&amp;/g, '')).not.toContain('&');
    }
  });
});
