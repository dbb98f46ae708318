// Discord webhook: its setting, its rate and its body, one embed coloured by state, no mentions parsed at all.
// Limits (discord-api-docs, Message resource, "Embed Limits"): title 256, description 4096, up to 25 fields,
// field name 256, field value 1024, footer text 2048, and 6000 characters across all of them; a plain
// message's `content` holds 2000 characters (Message resource, "Create Message").
// `allowed_mentions: { parse: [] }` suppresses every mention (Message resource, "Allowed Mentions Object").
import type { AlertEvent, AlertKind } from '../core/alert.js';
import { cutText, type TextMessage } from '../core/render-text.js';
import * as fmt from '../core/render/shared.js';
import * as say from '../core/render/words.js';
import { defineChannel } from './types.js';

export const DISCORD_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
  content: 2000,
} as const;

/** Embed colours as integers: firing red, resolved green, repeat orange, test blue. */
export const DISCORD_COLORS: Record<AlertKind, number> = {
  firing: 0xe53935,
  resolved: 0x43a047,
  repeat: 0xfb8c00,
  test: 0x1e88e5,
};

export interface DiscordField {
  name: string;
  value: string;
  inline?: boolean;
}
export interface DiscordEmbed {
  title: string;
  url?: string;
  description: string;
  color: number;
  fields: DiscordField[];
  footer: { text: string };
  timestamp: string;
}
export interface DiscordMessage {
  embeds: DiscordEmbed[];
  allowed_mentions: { parse: never[] };
}

export function renderDiscord(e: AlertEvent): DiscordMessage {
  return fmt.fitBudget((b) => build(e, b), fitsDiscord);
}

/** Characters Discord counts toward the 6000 total of a message's embeds. */
export function embedChars(m: DiscordMessage): number {
  return m.embeds.reduce(
    (sum, em) =>
      sum +
      em.title.length +
      em.description.length +
      em.footer.text.length +
      em.fields.reduce((s, f) => s + f.name.length + f.value.length, 0),
    0,
  );
}

export function fitsDiscord(m: DiscordMessage): boolean {
  const L = DISCORD_LIMITS;
  return (
    embedChars(m) <= L.total &&
    m.embeds.every(
      (em) =>
        em.title.length <= L.title &&
        em.description.length <= L.description &&
        em.footer.text.length <= L.footer &&
        em.fields.length <= L.fields &&
        em.fields.every((f) => f.name.length <= L.fieldName && f.value.length <= L.fieldValue),
    )
  );
}

/** A URL for a masked link `[label](url)`: characters that would end the link are percent-encoded. */
function linkUrl(url: string): string {
  return url.replace(/[()<>\s]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

function build(e: AlertEvent, b: fmt.Budget): DiscordMessage {
  const t = (text: string, max: number) =>
    fmt.truncate(fmt.oneLine(text), Math.min(fmt.cap(max, b), DISCORD_LIMITS.fieldValue), fmt.escapeDiscord);
  const table = fmt.shareRows(e, b.rows).map(fmt.codeSafe).join('\n');
  const description = [
    `**${t(say.statusNote(e), 300)}**`,
    ...(e.pinning ? [t(e.pinning, 1000)] : []),
    `**Traffic share per replica**\n\`\`\`\n${fmt.truncate(table, fmt.cap(2400, b))}\n\`\`\``,
  ].join('\n\n');
  const fields: DiscordField[] = [
    { name: 'Service', value: t(e.service, 200), inline: true },
    { name: 'Stack', value: t(say.stackText(e), 100), inline: true },
    { name: 'Replicas', value: say.replicasText(e), inline: true },
    { name: say.hotLabel(e), value: t(say.hotText(e) ?? 'none stands out', 300) },
    { name: e.kind === 'resolved' ? 'Lasted' : 'Duration', value: t(say.durationText(e), 200) },
    ...(say.signalText(e) ? [{ name: 'Signal', value: t(say.signalText(e) ?? '', 200) }] : []),
    { name: 'Likely cause', value: fmt.proseWithCode(e.cause, fmt.cap(1000, b), fmt.escapeDiscord) },
    { name: 'Fix', value: fmt.proseWithCode(e.fix, fmt.cap(1000, b), fmt.escapeDiscord) },
  ];
  if (e.command)
    fields.push({
      name: 'Command',
      value: `\`\`\`\n${fmt.truncate(fmt.codeSafe(e.command), fmt.cap(DISCORD_LIMITS.fieldValue - 8, b))}\n\`\`\``,
    });
  if (e.dashboardUrl)
    fields.push({
      name: 'Dashboard',
      value: fmt.truncate(`[Open the dashboard](${linkUrl(e.dashboardUrl)})`, DISCORD_LIMITS.fieldValue),
    });
  const embed: DiscordEmbed = {
    title: fmt.truncate(
      fmt.oneLine(`${say.emoji(e.kind)} ${say.headline(e.kind, e)} — ${e.service}`),
      DISCORD_LIMITS.title,
      fmt.escapeDiscord,
    ),
    ...(e.dashboardUrl ? { url: e.dashboardUrl } : {}),
    description,
    color: DISCORD_COLORS[e.kind],
    fields,
    footer: { text: fmt.truncate(fmt.oneLine(`swarm-balance · ${say.kindLabel(e.kind)} · alert ${e.id}`), 200) },
    timestamp: fmt.isoTime(e.at),
  };
  return { embeds: [embed], allowed_mentions: { parse: [] } };
}

/** A plain message (digest, remediation notice) as `content`, with no mention parsed. */
export function renderDiscordText(m: TextMessage): { content: string; allowed_mentions: { parse: never[] } } {
  return { content: cutText(m.lines.join('\n'), DISCORD_LIMITS.content), allowed_mentions: { parse: [] } };
}

export const discord = defineChannel({
  name: 'discord',
  settings: [
    {
      key: 'discordWebhookUrl',
      env: 'SWARM_BALANCE_DISCORD_WEBHOOK_URL',
      kind: 'url',
      default: null,
      secret: true,
      blankFileIsUnset: true,
      help: 'Discord webhook URL',
    },
  ],
  // Discord: 5 messages per 2 s per webhook.
  minIntervalMs: 400,
  refreshMs: null,
  endpoint: (c) => c.discordWebhookUrl,
  render: renderDiscord,
  renderText: renderDiscordText,
});
