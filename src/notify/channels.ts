// The configured channels: where each posts, how it renders, how fast it may send.
import type { Config } from '../config.js';
import {
  renderAlertmanager,
  renderDiscord,
  renderMattermost,
  renderSlack,
  renderTeams,
  renderTelegram,
  renderWebhook,
} from '../core/render/index.js';
import { renderText } from '../core/render-text.js';
import type { Channel } from './channel-queue.js';

/** Alertmanager drops an alert whose endsAt passed: re-post firing ones well within the validity. */
const ALERTMANAGER_REFRESH_MS = 60_000;
const ALERTMANAGER_VALIDITY_MS = 5 * 60_000;

export function configuredChannels(config: Config): Channel[] {
  const channels: Channel[] = [];
  const text = (name: string, chatId?: string) => (m: Parameters<typeof renderText>[1]) => renderText(name, m, chatId);
  // Least spacing per channel, from each service's documented limits (Slack: about 1 message per
  // second per webhook; Discord: 5 per 2 s per webhook; Telegram: about 1 per second per chat).
  if (config.slackWebhookUrl)
    channels.push({
      name: 'slack',
      url: config.slackWebhookUrl,
      render: renderSlack,
      renderText: text('slack'),
      minIntervalMs: 1100,
      refreshMs: null,
    });
  if (config.teamsWebhookUrl)
    channels.push({
      name: 'teams',
      url: config.teamsWebhookUrl,
      render: renderTeams,
      renderText: text('teams'),
      minIntervalMs: 1000,
      refreshMs: null,
    });
  if (config.discordWebhookUrl)
    channels.push({
      name: 'discord',
      url: config.discordWebhookUrl,
      render: renderDiscord,
      renderText: text('discord'),
      minIntervalMs: 400,
      refreshMs: null,
    });
  if (config.mattermostWebhookUrl)
    channels.push({
      name: 'mattermost',
      url: config.mattermostWebhookUrl,
      render: renderMattermost,
      renderText: text('mattermost'),
      minIntervalMs: 500,
      refreshMs: null,
    });
  if (config.telegramBotToken && config.telegramChatId) {
    const chatId = config.telegramChatId;
    channels.push({
      name: 'telegram',
      url: `${config.telegramApiUrl.replace(/\/$/, '')}/bot${config.telegramBotToken}/sendMessage`,
      render: (e) => renderTelegram(e, chatId),
      renderText: text('telegram', chatId),
      minIntervalMs: 1000,
      refreshMs: null,
    });
  }
  if (config.webhookUrl)
    channels.push({
      name: 'webhook',
      url: config.webhookUrl,
      render: renderWebhook,
      renderText: text('webhook'),
      minIntervalMs: 0,
      refreshMs: null,
    });
  if (config.alertmanagerUrl) {
    channels.push({
      name: 'alertmanager',
      url: `${config.alertmanagerUrl.replace(/\/$/, '')}/api/v2/alerts`,
      render: (e) => renderAlertmanager(e, { validityMs: ALERTMANAGER_VALIDITY_MS }),
      renderText: null,
      minIntervalMs: 0,
      refreshMs: ALERTMANAGER_REFRESH_MS,
    });
  }
  return channels;
}
