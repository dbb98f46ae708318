// One pure renderer per channel: AlertEvent in, the JSON body to POST out.
import type { AlertEvent } from '../alert.js';
import { renderAlertmanager } from './alertmanager.js';
import { renderDiscord } from './discord.js';
import { renderMattermost } from './mattermost.js';
import { renderSlack } from './slack.js';
import { renderTeams } from './teams.js';
import { renderWebhook } from './webhook.js';

export { ALERTMANAGER_VALIDITY_MS, ALERTNAME, renderAlertmanager, type PostableAlert } from './alertmanager.js';
export { DISCORD_COLORS, DISCORD_LIMITS, embedChars, renderDiscord, type DiscordMessage } from './discord.js';
export { MATTERMOST_COLORS, MATTERMOST_LIMITS, renderMattermost, type MattermostMessage } from './mattermost.js';
export { SLACK_LIMITS, renderSlack, type SlackMessage } from './slack.js';
export { TEAMS_LIMITS, renderTeams, type TeamsMessage } from './teams.js';
export { TELEGRAM_LIMITS, renderTelegram, visibleLength, type TelegramMessage } from './telegram.js';
export { WEBHOOK_SCHEMA, renderWebhook, type WebhookPayload } from './webhook.js';
export {
  MAX_ROWS,
  codeSafe,
  defuseMentions,
  escapeDiscord,
  escapeHtml,
  escapeMarkdown,
  escapeMattermost,
  escapeSlack,
  shareBar,
  shareLines,
  truncate,
} from './shared.js';

/** Channels whose body needs nothing but the event (Telegram also needs the chat id). */
export const renderers = {
  slack: renderSlack,
  teams: renderTeams,
  discord: renderDiscord,
  mattermost: renderMattermost,
  webhook: renderWebhook,
  alertmanager: (e: AlertEvent) => renderAlertmanager(e),
} as const;

export type RenderChannel = keyof typeof renderers;
