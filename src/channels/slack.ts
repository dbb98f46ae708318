// Slack incoming webhook: its setting, its rate and its body (Block Kit blocks with a plain `text`
// fallback for notifications).
// Limits (docs.slack.dev Block Kit reference): header text 150 characters, section text 3000,
// context elements 10, blocks per message 50. `&`, `<`, `>` are sent as entities (Slack formatting: escaping).
import type { AlertEvent } from '../core/alert.js';
import { cutText, type TextMessage } from '../core/render-text.js';
import {
  type Budget,
  cap,
  codeSafe,
  escapeSlack,
  fitBudget,
  moreLine,
  oneLine,
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

export const SLACK_LIMITS = { headerText: 150, sectionText: 3000, contextElements: 10, blocks: 50 } as const;

export interface SlackText {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text: SlackText }
  | { type: 'context'; elements: SlackText[] };
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
}

export function renderSlack(e: AlertEvent): SlackMessage {
  return fitBudget((b) => build(e, b), fitsSlack);
}

/** Whether every block keeps to Slack's documented limits. */
export function fitsSlack(m: SlackMessage): boolean {
  if (m.blocks.length > SLACK_LIMITS.blocks) return false;
  return m.blocks.every((block) => {
    if (block.type === 'header') return block.text.text.length <= SLACK_LIMITS.headerText;
    if (block.type === 'section') return block.text.text.length <= SLACK_LIMITS.sectionText;
    return (
      block.elements.length <= SLACK_LIMITS.contextElements &&
      block.elements.every((el) => el.text.length <= SLACK_LIMITS.sectionText)
    );
  });
}

/** A URL inside `<url|label>`: entities for `&<>`, and `|` (the label separator) percent-encoded. */
function slackUrl(url: string): string {
  return escapeSlack(url.replace(/\|/g, '%7C').replace(/\s/g, '%20'));
}

const mrkdwn = (text: string): SlackText => ({ type: 'mrkdwn', text });
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });

function build(e: AlertEvent, b: Budget): SlackMessage {
  const t = (text: string, max: number) => truncate(oneLine(text), cap(max, b), escapeSlack);
  const facts = [
    `*${t(statusNote(e), 300)}*`,
    `*Service:* ${t(e.service, 200)}   *Stack:* ${t(stackText(e), 100)}`,
    `*Replicas:* ${replicasText(e)}   *Endpoint mode:* ${t(e.endpointMode, 40)}`,
    `*${hotLabel(e)}:* ${t(hotText(e) ?? 'none stands out', 300)}`,
    ...(e.pinning ? [`*Pinning:* ${t(e.pinning, 1000)}`] : []),
    `*${e.kind === 'resolved' ? 'Lasted' : 'Duration'}:* ${t(durationText(e), 200)}`,
    ...(signalText(e) ? [`*Signal:* ${t(signalText(e) ?? '', 200)}`] : []),
  ];
  const { lines, more } = shareLines(e, b.rows);
  const table = [...lines, ...(more > 0 ? [moreLine(more)] : [])].map((l) => escapeSlack(codeSafe(l))).join('\n');
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: truncate(oneLine(`${emoji(e.kind)} ${headline(e.kind, e)} — ${e.service}`), SLACK_LIMITS.headerText),
        emoji: true,
      },
    },
    section(facts.join('\n')),
    section(`*Traffic share per replica*\n\`\`\`\n${table}\n\`\`\``),
    section(`*Likely cause:* ${t(e.cause, 1200)}\n*Fix:* ${t(e.fix, 1200)}`),
  ];
  if (e.command)
    blocks.push(section(`*Command:*\n\`\`\`\n${truncate(codeSafe(e.command), cap(2800, b), escapeSlack)}\n\`\`\``));
  if (e.dashboardUrl) blocks.push(section(`*Dashboard:* <${slackUrl(e.dashboardUrl)}|Open the dashboard>`));
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`swarm-balance · ${kindLabel(e.kind)} · alert ${t(e.id, 200)} · ${shortTime(e.at)}`)],
  });
  return { text: truncate(summaryLine(e), SLACK_LIMITS.sectionText, escapeSlack), blocks };
}

/** A plain message (digest, remediation notice): entities for `&<>`, cut to a section's length. */
export function renderSlackText(m: TextMessage): { text: string } {
  return { text: cutText(m.lines.map(escapeSlack).join('\n'), SLACK_LIMITS.sectionText) };
}

export const slack = defineChannel({
  name: 'slack',
  settings: [
    {
      key: 'slackWebhookUrl',
      env: 'SWARM_BALANCE_SLACK_WEBHOOK_URL',
      kind: 'url',
      default: null,
      secret: true,
      blankFileIsUnset: true,
      help: 'Slack incoming webhook URL',
    },
  ],
  // Slack: about 1 message per second per webhook.
  minIntervalMs: 1100,
  refreshMs: null,
  endpoint: (c) => c.slackWebhookUrl,
  render: renderSlack,
  renderText: renderSlackText,
});
