// The renderers and limits of every channel module (src/channels/), in one import for the render tests.
import type { AlertEvent } from '../../../src/core/alert.js';
import { renderAlertmanager } from '../../../src/channels/alertmanager.js';
import { renderDiscord } from '../../../src/channels/discord.js';
import { renderMattermost } from '../../../src/channels/mattermost.js';
import { renderSlack } from '../../../src/channels/slack.js';
import { renderTeams } from '../../../src/channels/teams.js';
import { renderWebhook } from '../../../src/channels/webhook.js';

export { ALERTMANAGER_VALIDITY_MS, ALERTNAME, renderAlertmanager } from '../../../src/channels/alertmanager.js';
export {
  DISCORD_COLORS,
  DISCORD_LIMITS,
  embedChars,
  fitsDiscord,
  renderDiscord,
} from '../../../src/channels/discord.js';
export {
  MATTERMOST_COLORS,
  MATTERMOST_LIMITS,
  fitsMattermost,
  renderMattermost,
} from '../../../src/channels/mattermost.js';
export { SLACK_LIMITS, fitsSlack, renderSlack } from '../../../src/channels/slack.js';
export { TEAMS_COLORS, TEAMS_LIMITS, renderTeams } from '../../../src/channels/teams.js';
export { TELEGRAM_LIMITS, renderTelegram, visibleLength } from '../../../src/channels/telegram.js';
export { WEBHOOK_SCHEMA, renderWebhook } from '../../../src/channels/webhook.js';

/** Channels whose body needs nothing but the event (Telegram also needs the chat id). */
export const renderers = {
  slack: renderSlack,
  teams: renderTeams,
  discord: renderDiscord,
  mattermost: renderMattermost,
  webhook: renderWebhook,
  alertmanager: (e: AlertEvent) => renderAlertmanager(e),
} as const;
