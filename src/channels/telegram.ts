// Telegram Bot API: its settings, its rate, its endpoint (sendMessage, built around the bot token) and its
// body in HTML parse mode.
// core.telegram.org/bots/api#sendmessage: `text` is 1-4096 characters after entities parsing.
// #html-style: only <b>, <i>, <code>, <pre>, <a href> are used here, and every interpolated value has its
// `<`, `>` and `&` replaced by entities. Bot API 7.0 moved `disable_web_page_preview` into
// `link_preview_options`; both are sent so old and new servers skip the preview.
import type { AlertEvent } from '../core/alert.js';
import { cutText, type TextMessage } from '../core/render-text.js';
import * as fmt from '../core/render/shared.js';
import * as say from '../core/render/words.js';
import { defineChannel } from './types.js';

export const TELEGRAM_LIMITS = { text: 4096 } as const;

export interface TelegramMessage {
  chat_id: string;
  text: string;
  parse_mode: 'HTML';
  disable_web_page_preview: true;
  link_preview_options: { is_disabled: true };
}

export function renderTelegram(e: AlertEvent, chatId: string): TelegramMessage {
  return fmt.fitBudget(
    (b) => build(e, chatId, b),
    (m) => visibleLength(m.text) <= TELEGRAM_LIMITS.text,
  );
}

/** Characters Telegram counts: the text without tags, each entity one character. */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, '').replace(/&(?:lt|gt|amp|quot);/g, '_').length;
}

function build(e: AlertEvent, chatId: string, b: fmt.Budget): TelegramMessage {
  const t = (text: string, max: number) => fmt.escapeHtml(fmt.truncate(fmt.oneLine(text), fmt.cap(max, b)));
  const table = fmt.escapeHtml(fmt.truncate(fmt.shareRows(e, b.rows).join('\n'), fmt.cap(2000, b)));
  const note = t(say.statusNote(e), 300);
  const code = (span: string) => `<code>${fmt.escapeHtml(span.slice(1, -1))}</code>`;
  const parts = [
    `<b>${fmt.escapeHtml(`${say.emoji(e.kind)} ${say.headline(e.kind, e)}`)}</b>`,
    e.kind === 'test' ? `<b>${note}</b>` : `<i>${note}</i>`,
    '',
    `<b>Service:</b> <code>${t(e.service, 200)}</code>`,
    `<b>Stack:</b> <code>${t(say.stackText(e), 100)}</code>`,
    `<b>Replicas:</b> ${say.replicasText(e)}`,
    `<b>${say.hotLabel(e)}:</b> ${t(say.hotText(e) ?? 'none stands out', 300)}`,
    ...(e.pinning ? [`<b>Pinning:</b> ${t(e.pinning, 800)}`] : []),
    `<b>${e.kind === 'resolved' ? 'Lasted' : 'Duration'}:</b> ${t(say.durationText(e), 200)}`,
    ...(say.signalText(e) ? [`<b>Signal:</b> ${t(say.signalText(e) ?? '', 200)}`] : []),
    '',
    '<b>Traffic share per replica</b>',
    `<pre>${table}</pre>`,
    `<b>Likely cause:</b> ${fmt.proseWithCode(e.cause, fmt.cap(800, b), fmt.escapeHtml, code)}`,
    `<b>Fix:</b> ${fmt.proseWithCode(e.fix, fmt.cap(800, b), fmt.escapeHtml, code)}`,
    ...(e.command
      ? ['<b>Command:</b>', `<pre>${fmt.escapeHtml(fmt.truncate(e.command, fmt.cap(1000, b)))}</pre>`]
      : []),
    ...(e.dashboardUrl
      ? [`<a href="${fmt.escapeHtml(e.dashboardUrl.replace(/"/g, '%22'))}">Open the dashboard</a>`]
      : []),
    `<i>swarm-balance · ${say.kindLabel(e.kind)} · alert ${t(e.id, 200)} · ${fmt.shortTime(e.at)}</i>`,
  ];
  return {
    chat_id: chatId,
    text: parts.join('\n'),
    parse_mode: 'HTML',
    disable_web_page_preview: true,
    link_preview_options: { is_disabled: true },
  };
}

/**
 * A plain message (digest, remediation notice), its `<`, `>` and `&` as entities. Telegram counts an
 * entity as one character, and refuses one cut in half: the text is cut before it is escaped.
 */
export function renderTelegramText(m: TextMessage, chatId: string) {
  return {
    chat_id: chatId,
    text: fmt.escapeHtml(cutText(m.lines.join('\n'), TELEGRAM_LIMITS.text)),
    parse_mode: 'HTML',
    disable_web_page_preview: true,
  } as const;
}

export const telegram = defineChannel({
  name: 'telegram',
  settings: [
    {
      key: 'telegramBotToken',
      env: 'SWARM_BALANCE_TELEGRAM_BOT_TOKEN',
      kind: 'string',
      default: null,
      secret: true,
      blankFileIsUnset: true,
      help: 'Telegram bot token (with SWARM_BALANCE_TELEGRAM_CHAT_ID)',
    },
    {
      key: 'telegramChatId',
      env: 'SWARM_BALANCE_TELEGRAM_CHAT_ID',
      kind: 'string',
      default: null,
      help: 'Telegram chat id',
    },
    {
      key: 'telegramApiUrl',
      env: 'SWARM_BALANCE_TELEGRAM_API_URL',
      kind: 'url',
      default: 'https://api.telegram.org',
      help: 'Telegram Bot API base URL',
    },
  ],
  // Telegram: about 1 message per second per chat.
  minIntervalMs: 1000,
  refreshMs: null,
  endpoint: (c) =>
    c.telegramBotToken && c.telegramChatId
      ? `${c.telegramApiUrl.replace(/\/$/, '')}/bot${c.telegramBotToken}/sendMessage`
      : null,
  // The chat id is set whenever the endpoint is (config.ts refuses one without the other).
  render: (e, c) => renderTelegram(e, c.telegramChatId ?? ''),
  renderText: (m, c) => renderTelegramText(m, c.telegramChatId ?? ''),
  // The address is built around the bot token.
  scrubbed: (c) => (c.telegramBotToken ? [`/bot${c.telegramBotToken}`, `bot${c.telegramBotToken}`] : []),
});
