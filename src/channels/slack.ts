// Slack incoming webhook: its setting, its rate and its body (Block Kit blocks with a plain `text`
// fallback for notifications).
// Limits (docs.slack.dev Block Kit reference): header text 150 characters, section text 3000,
// context elements 10, blocks per message 50. `&`, `<`, `>` are sent as entities (Slack formatting: escaping).
import type { AlertEvent } from '../core/alert.js';
import type { TextMessage } from '../core/render-text.js';
import * as fmt from '../core/render/shared.js';
import * as say from '../core/render/words.js';
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
  return fmt.fitBudget((b) => build(e, b), fitsSlack);
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
  return fmt.escapeSlack(url.replace(/\|/g, '%7C').replace(/\s/g, '%20'));
}

const mrkdwn = (text: string): SlackText => ({ type: 'mrkdwn', text });
const section = (text: string): SlackBlock => ({ type: 'section', text: mrkdwn(text) });

function build(e: AlertEvent, b: fmt.Budget): SlackMessage {
  const t = (text: string, max: number) => fmt.truncate(fmt.oneLine(text), fmt.cap(max, b), fmt.escapeSlack);
  const facts = [
    `*${t(say.statusNote(e), 300)}*`,
    `*Service:* ${t(e.service, 200)}   *Stack:* ${t(say.stackText(e), 100)}`,
    `*Replicas:* ${say.replicasText(e)}   *Endpoint mode:* ${t(e.endpointMode, 40)}`,
    `*${say.hotLabel(e)}:* ${t(say.hotText(e) ?? 'none stands out', 300)}`,
    ...(e.pinning ? [`*Pinning:* ${t(e.pinning, 1000)}`] : []),
    `*${e.kind === 'resolved' ? 'Lasted' : 'Duration'}:* ${t(say.durationText(e), 200)}`,
    ...(say.signalText(e) ? [`*Signal:* ${t(say.signalText(e) ?? '', 200)}`] : []),
  ];
  const table = fmt
    .shareRows(e, b.rows)
    .map((l) => fmt.escapeSlack(fmt.codeSafe(l)))
    .join('\n');
  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: {
        type: 'plain_text',
        text: fmt.truncate(
          fmt.oneLine(`${say.emoji(e.kind)} ${say.headline(e.kind, e)} — ${e.service}`),
          SLACK_LIMITS.headerText,
        ),
        emoji: true,
      },
    },
    section(facts.join('\n')),
    section(`*Traffic share per replica*\n\`\`\`\n${table}\n\`\`\``),
    section(`*Likely cause:* ${t(e.cause, 1200)}\n*Fix:* ${t(e.fix, 1200)}`),
  ];
  if (e.command)
    blocks.push(
      section(
        `*Command:*\n\`\`\`\n${fmt.truncate(fmt.codeSafe(e.command), fmt.cap(2800, b), fmt.escapeSlack)}\n\`\`\``,
      ),
    );
  if (e.dashboardUrl) blocks.push(section(`*Dashboard:* <${slackUrl(e.dashboardUrl)}|Open the dashboard>`));
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`swarm-balance · ${say.kindLabel(e.kind)} · alert ${t(e.id, 200)} · ${fmt.shortTime(e.at)}`)],
  });
  return { text: fmt.truncate(say.summaryLine(e), SLACK_LIMITS.sectionText, fmt.escapeSlack), blocks };
}

/**
 * A plain message (digest, remediation notice): entities for `&<>`, cut to a section's length by whole
 * characters, never inside an entity.
 */
export function renderSlackText(m: TextMessage): { text: string } {
  return { text: fmt.truncate(m.lines.join('\n'), SLACK_LIMITS.sectionText, fmt.escapeSlack) };
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
