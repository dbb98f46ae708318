import { describe, expect, it } from 'vitest';
import { webhook } from '../../../src/channels/webhook.js';
import { channelBasics, configured, textMessage } from './kit.js';

const URL = 'https://receiver.example/swarm-balance?token=secret';

channelBasics(webhook, { SWARM_BALANCE_WEBHOOK_URL: URL }, URL, 0);

describe('the webhook module', () => {
  it('sends the structured document of a plain message, not its text', () => {
    const channel = configured(webhook, { SWARM_BALANCE_WEBHOOK_URL: URL }) as { renderText: (m: unknown) => unknown };
    expect(channel.renderText(textMessage(['digest', 'line']))).toEqual({
      schema: 'test/v1',
      lines: ['digest', 'line'],
    });
  });

  it('keeps its URL secret', () => {
    expect(webhook.settings).toEqual([expect.objectContaining({ kind: 'url', secret: true })]);
  });
});
