import { describe, expect, it } from 'vitest';
import { mattermost, MATTERMOST_LIMITS, renderMattermostText } from '../../../src/channels/mattermost.js';
import { channelBasics, cutPlainText, textMessage } from './kit.js';

const URL = 'https://mattermost.example/hooks/secret';

channelBasics(mattermost, { SWARM_BALANCE_MATTERMOST_WEBHOOK_URL: URL }, URL, 500);

describe('the mattermost module', () => {
  it('sends a plain message as text, lines joined', () => {
    expect(renderMattermostText(textMessage(['digest', 'shop_web: never skewed']))).toEqual({
      text: 'digest\nshop_web: never skewed',
    });
  });

  it("cuts a plain message within a current server's post limit (16383)", () => {
    cutPlainText(renderMattermostText, 'z'.repeat(20_000), MATTERMOST_LIMITS.plainText);
    expect(MATTERMOST_LIMITS.plainText).toBeLessThanOrEqual(16_383);
  });
});
