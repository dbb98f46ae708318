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
import {
  type Budget,
  cap,
  codeSafe,
  defuseMentions,
  escapeMattermost,
  fitBudget,
  moreLine,
  oneLine,
  proseWithCode,
  shareLines,
  shortTime,
  truncate,
} from '../core/render/shared.js';
import {
  durationText,
  emoji,
  headline,
  hotLabel,
  hotText,
  kindLabel,
  replicasText,
  signalText,
  stackText,
  statusNote,
  summaryLine,
} from '../core/render/words.js';
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
  return fitBudget((b) => build(e, b), fitsMattermost);
}

export function fitsMattermost(m: MattermostMessage): boolean {
  return (
    m.text.length <= MATTERMOST_LIMITS.text && JSON.stringify(m.attachments).length <= MATTERMOST_LIMITS.attachments
  );
}

function build(e: AlertEvent, b: Budget): MattermostMessage {
  const t = (text: string, max: number) => truncate(oneLine(text), cap(max, b), escapeMattermost);
  const code = (text: string) => defuseMentions(codeSafe(text));
  const { lines, more } = shareLines(e, b.rows);
  const table = [...lines, ...(more > 0 ? [moreLine(more)] : [])].map(code).join('\n');
  const text = [
    `**${t(statusNote(e), 300)}**`,
    ...(e.pinning ? [t(e.pinning, 1000)] : []),
    `**Traffic share per replica**\n\`\`\`\n${truncate(table, cap(2400, b))}\n\`\`\``,
    `**Likely cause:** ${proseWithCode(e.cause, cap(1000, b), escapeMattermost, defuseMentions)}`,
    `**Fix:** ${proseWithCode(e.fix, cap(1000, b), escapeMattermost, defuseMentions)}`,
    ...(e.command ? [`**Command:**\n\`\`\`\n${truncate(code(e.command), cap(1500, b))}\n\`\`\``] : []),
    ...(e.dashboardUrl ? [`[Open the dashboard](<${e.dashboardUrl.replace(/[<>\s]/g, encodeURIComponent)}>)`] : []),
  ].join('\n\n');
  const attachment: MattermostAttachment = {
    fallback: truncate(oneLine(summaryLine(e)), 500, defuseMentions),
    color: MATTERMOST_COLORS[e.kind],
    title: `${emoji(e.kind)} ${headline(e.kind, e)}`,
    ...(e.dashboardUrl ? { title_link: e.dashboardUrl } : {}),
    text,
    fields: [
      { title: 'Service', value: t(e.service, 200), short: true },
      { title: 'Stack', value: t(stackText(e), 100), short: true },
      { title: 'Replicas', value: replicasText(e), short: true },
      { title: e.kind === 'resolved' ? 'Lasted' : 'Duration', value: t(durationText(e), 200), short: true },
      { title: hotLabel(e), value: t(hotText(e) ?? 'none stands out', 300), short: false },
      ...(signalText(e) ? [{ title: 'Signal', value: t(signalText(e) ?? '', 200), short: false }] : []),
    ],
    footer: truncate(
      oneLine(`swarm-balance · ${kindLabel(e.kind)} · alert ${e.id} · ${shortTime(e.at)}`),
      300,
      defuseMentions,
    ),
  };
  return {
    text: `${emoji(e.kind)} **${headline(e.kind, e)}** — ${t(e.service, 200)}${e.stack ? ` (stack ${t(stackText(e), 100)})` : ''}`,
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
