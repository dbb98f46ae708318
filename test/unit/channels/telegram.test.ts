import { describe, expect, it } from 'vitest';
import { renderTelegramText, telegram, TELEGRAM_LIMITS, visibleLength } from '../../../src/channels/telegram.js';
import { alertEvent } from '../render/fixtures.js';
import { channelBasics, configured, textMessage } from './kit.js';

const ON = { SWARM_BALANCE_TELEGRAM_BOT_TOKEN: '123:secret', SWARM_BALANCE_TELEGRAM_CHAT_ID: '-100' };

channelBasics(telegram, ON, 'https://api.telegram.org/bot123:secret/sendMessage', 1000);

describe('the telegram module', () => {
  it('builds its endpoint on SWARM_BALANCE_TELEGRAM_API_URL, without a doubled slash', () => {
    expect(configured(telegram, { ...ON, SWARM_BALANCE_TELEGRAM_API_URL: 'http://bot-api:8081/' })).toMatchObject({
      url: 'http://bot-api:8081/bot123:secret/sendMessage',
    });
  });

  it('is off without a chat id', () => {
    expect(
      telegram.endpoint({ telegramBotToken: '123:secret', telegramChatId: null, telegramApiUrl: 'https://x' }),
    ).toBeNull();
  });

  it('keeps the bot token secret and the chat id not', () => {
    expect(telegram.settings.filter((s) => 'secret' in s && s.secret).map((s) => s.key)).toEqual(['telegramBotToken']);
  });

  it('addresses alerts and plain messages to the chat id', () => {
    const channel = configured(telegram, ON) as {
      render: (e: unknown) => unknown;
      renderText: (m: unknown) => unknown;
    };
    expect(channel.render(alertEvent('firing'))).toMatchObject({ chat_id: '-100', parse_mode: 'HTML' });
    expect(channel.renderText(textMessage(['digest']))).toMatchObject({ chat_id: '-100', text: 'digest' });
  });

  it('sends a plain message in HTML mode with <, > and & as entities, cut to 4096 characters as Telegram counts them', () => {
    expect(renderTelegramText(textMessage(['<b>a & b</b>']), '-100').text).toBe('&lt;b&gt;a &amp; b&lt;/b&gt;');
    // An entity is one character to Telegram: 2,000 of them are not cut.
    const few = renderTelegramText(textMessage(['<'.repeat(2000)]), '-100').text;
    expect(few).toBe('&lt;'.repeat(2000));
    // Past the limit, cut to 4096 visible characters without cutting an entity in half.
    const many = renderTelegramText(textMessage(['a&'.repeat(3000)]), '-100').text;
    expect(visibleLength(many)).toBe(TELEGRAM_LIMITS.text);
    expect(many.endsWith('&amp;…') || many.endsWith('a…')).toBe(true);
    expect(many.replace(/&amp;/g, '')).not.toContain('&');
  });

  it('keeps the bot token out of output also where it stands in the address', () => {
    const values = { telegramBotToken: '123:secret', telegramChatId: '-100', telegramApiUrl: 'https://x' };
    expect(telegram.scrubbed?.(values)).toEqual(['/bot123:secret', 'bot123:secret']);
  });
});
