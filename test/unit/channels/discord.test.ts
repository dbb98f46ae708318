import { describe, expect, it } from 'vitest';
import { discord, DISCORD_LIMITS, renderDiscordText } from '../../../src/channels/discord.js';
import { channelBasics, textMessage } from './kit.js';

const URL = 'https://discord.example/api/webhooks/1/secret';

channelBasics(discord, { SWARM_BALANCE_DISCORD_WEBHOOK_URL: URL }, URL, 400);

describe('the discord module', () => {
  it('keeps its webhook URL secret', () => {
    expect(discord.settings).toEqual([expect.objectContaining({ kind: 'url', secret: true })]);
  });

  it('sends a plain message as content with no mention parsed, cut to 2000 characters', () => {
    const body = renderDiscordText(textMessage(['@everyone digest', 'y'.repeat(3000)]));
    expect(body.allowed_mentions).toEqual({ parse: [] });
    expect(body.content.startsWith('@everyone digest\nyyy')).toBe(true);
    expect(body.content).toHaveLength(DISCORD_LIMITS.content);
    expect(DISCORD_LIMITS.content).toBe(2000);
  });
});
