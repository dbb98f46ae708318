// Mattermost incoming webhook: its setting, its rate and its body, a markdown `text` line and one
// Slack-compatible attachment.
// developers.mattermost.com "Incoming webhooks" / "Message attachments": `text` is markdown and triggers
// @-mentions; an attachment has a required plain `fallback`, `color` (hex), `title`, markdown `text` and
// `fields` ({ title, value, short }). Every interpolated value is markdown-escaped and its `@` defused.
// Sizes: a post holds 16383 runes (PostMessageMaxRunesV2), 4000 on old servers (V1); older servers also
// refuse attachments over 7900 characters, so the whole attachment list is kept under that. A plain message
// (no attachment) is cut to 16000, within V2's limit.
import type { AlertEvent, AlertKind } from '../core/alert.js';
import { cutText, type TextMessage } from '../core/render-text.js';
import * as fmt from '../core/render/shared.js';
import * as say from '../core/render/words.js';
import { defineChannel } from './types.js';

export const MATTERMOST_LIMITS = { text: 4000, attachments: 7900, plainText: 16_000 } as const;
export const MATTERMOST_COLORS: Record<AlertKind, string> = {
  firing: '#E53935',
  resolved: '#43A047',
  repeat: '#FB8C00',
  test: '#1E88E5',
};

export interface MattermostField {
  title: string;
  value: string;
  short: boolean;
}
export interface MattermostAttachment {
  fallback: string;
  color: string;
  title: string;
  title_link?: string;
  text: string;
  fields: MattermostField[];
  footer: string;
}
export interface MattermostMessage {
  text: string;
  attachments: MattermostAttachment[];
}

export function renderMattermost(e: AlertEvent): MattermostMessage {
  return fmt.fitBudget((b) => build(e, b), fitsMattermost);
}

export function fitsMattermost(m: MattermostMessage): boolean {
  return (
    m.text.length <= MATTERMOST_LIMITS.text && JSON.stringify(m.attachments).length <= MATTERMOST_LIMITS.attachments
  );
}

function build(e: AlertEvent, b: fmt.Budget): MattermostMessage {
  const t = (text: string, max: number) => fmt.truncate(fmt.oneLine(text), fmt.cap(max, b), fmt.escapeMattermost);
  const code = (text: string) => fmt.defuseMentions(fmt.codeSafe(text));
  const table = fmt.shareRows(e, b.rows).map(code).join('\n');
  const text = [
    `**${t(say.statusNote(e), 300)}**`,
    ...(e.pinning ? [t(e.pinning, 1000)] : []),
    `**Traffic share per replica**\n\`\`\`\n${fmt.truncate(table, fmt.cap(2400, b))}\n\`\`\``,
    `**Likely cause:** ${fmt.proseWithCode(e.cause, fmt.cap(1000, b), fmt.escapeMattermost, fmt.defuseMentions)}`,
    `**Fix:** ${fmt.proseWithCode(e.fix, fmt.cap(1000, b), fmt.escapeMattermost, fmt.defuseMentions)}`,
    ...(e.command ? [`**Command:**\n\`\`\`\n${fmt.truncate(code(e.command), fmt.cap(1500, b))}\n\`\`\``] : []),
    ...(e.dashboardUrl ? [`[Open the dashboard](<${e.dashboardUrl.replace(/[<>\s]/g, encodeURIComponent)}>)`] : []),
  ].join('\n\n');
  const attachment: MattermostAttachment = {
    fallback: fmt.truncate(fmt.oneLine(say.summaryLine(e)), 500, fmt.defuseMentions),
    color: MATTERMOST_COLORS[e.kind],
    title: `${say.emoji(e.kind)} ${say.headline(e.kind, e)}`,
    ...(e.dashboardUrl ? { title_link: e.dashboardUrl } : {}),
    text,
    fields: [
      { title: 'Service', value: t(e.service, 200), short: true },
      { title: 'Stack', value: t(say.stackText(e), 100), short: true },
      { title: 'Replicas', value: say.replicasText(e), short: true },
      { title: e.kind === 'resolved' ? 'Lasted' : 'Duration', value: t(say.durationText(e), 200), short: true },
      { title: say.hotLabel(e), value: t(say.hotText(e) ?? 'none stands out', 300), short: false },
      ...(say.signalText(e) ? [{ title: 'Signal', value: t(say.signalText(e) ?? '', 200), short: false }] : []),
    ],
    footer: fmt.truncate(
      fmt.oneLine(`swarm-balance · ${say.kindLabel(e.kind)} · alert ${e.id} · ${fmt.shortTime(e.at)}`),
      300,
      fmt.defuseMentions,
    ),
  };
  return {
    text: `${say.emoji(e.kind)} **${say.headline(e.kind, e)}** — ${t(e.service, 200)}${e.stack ? ` (stack ${t(say.stackText(e), 100)})` : ''}`,
    attachments: [attachment],
  };
}

/** A plain message (digest, remediation notice) as `text`. */
export function renderMattermostText(m: TextMessage): { text: string } {
  return { text: cutText(m.lines.join('\n'), MATTERMOST_LIMITS.plainText) };
}

export const mattermost = defineChannel({
  name: 'mattermost',
  settings: [
    {
      key: 'mattermostWebhookUrl',
      env: 'SWARM_BALANCE_MATTERMOST_WEBHOOK_URL',
      kind: 'url',
      default: null,
      secret: true,
      blankFileIsUnset: true,
      help: 'Mattermost incoming webhook URL',
    },
  ],
  minIntervalMs: 500,
  refreshMs: null,
  endpoint: (c) => c.mattermostWebhookUrl,
  render: renderMattermost,
  renderText: renderMattermostText,
});
