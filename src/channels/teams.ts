// Microsoft Teams (Workflows "When a Teams webhook request is received"): its setting, its rate and its body,
// a message with one Adaptive Card.
// learn.microsoft.com "Create Incoming Webhooks": the message size limit is 28 KB. Adaptive Cards schema:
// TextBlock, FactSet (Fact.title/Fact.value) and Action.OpenUrl; TextBlock and facts read markdown, while
// TextRun text inside a RichTextBlock does not ("Markdown is not supported"), so every value that comes from
// the cluster (service, stack, node, pinning, advice, command) goes into TextRuns and needs no escaping.
import type { AlertEvent, AlertKind } from '../core/alert.js';
import { cutText, type TextMessage } from '../core/render-text.js';
import * as fmt from '../core/render/shared.js';
import * as say from '../core/render/words.js';
import { defineChannel } from './types.js';

/**
 * `bytes`: kept below 28 KB with room for the HTTP client's own framing. A plain message shows at most
 * `textLines` lines of at most `textLine` characters each.
 */
export const TEAMS_LIMITS = { bytes: 27 * 1024, textLines: 60, textLine: 1000 } as const;
export const TEAMS_COLORS: Record<AlertKind, string> = {
  firing: 'Attention',
  resolved: 'Good',
  repeat: 'Warning',
  test: 'Accent',
};

export interface TeamsTextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  fontType?: 'Monospace';
  isSubtle?: boolean;
}
export type TeamsElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap: true;
      size?: string;
      weight?: string;
      color?: string;
      style?: string;
      isSubtle?: boolean;
    }
  | { type: 'RichTextBlock'; inlines: TeamsTextRun[]; spacing?: 'None' | 'Small' }
  | { type: 'FactSet'; facts: { title: string; value: string }[] }
  | { type: 'Container'; items: TeamsElement[] };
export interface TeamsCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  msteams: { width: 'Full' };
  body: TeamsElement[];
  actions?: { type: 'Action.OpenUrl'; title: string; url: string }[];
}
export interface TeamsMessage {
  type: 'message';
  attachments: { contentType: 'application/vnd.microsoft.card.adaptive'; contentUrl: null; content: TeamsCard }[];
}

export function renderTeams(e: AlertEvent): TeamsMessage {
  return fmt.fitBudget(
    (b) => build(e, b),
    (m) => fmt.jsonBytes(m) <= TEAMS_LIMITS.bytes,
  );
}

const run = (text: string, extra: Omit<TeamsTextRun, 'type' | 'text'> = {}): TeamsTextRun => ({
  type: 'TextRun',
  text,
  ...extra,
});
const labelled = (label: string, value: string | TeamsTextRun[]): TeamsElement => ({
  type: 'RichTextBlock',
  inlines: [run(`${label}: `, { weight: 'Bolder' }), ...(typeof value === 'string' ? [run(value)] : value)],
});
/** Prose with `code spans` as runs, the spans in a monospace font (TextRuns read no markdown). */
const prose = (text: string): TeamsTextRun[] =>
  text
    .split(/(`[^`]+`)/)
    .map((part, i) => (i % 2 === 1 ? run(part.slice(1, -1), { fontType: 'Monospace' }) : run(part)))
    .filter((r) => r.text !== '');

function build(e: AlertEvent, b: fmt.Budget): TeamsMessage {
  const t = (text: string, max: number) => fmt.truncate(fmt.oneLine(text), fmt.cap(max, b));
  const facts = [
    { title: 'Replicas', value: say.replicasText(e) },
    { title: e.kind === 'resolved' ? 'Lasted' : 'Duration', value: say.durationText(e) },
    { title: 'Sent', value: fmt.shortTime(e.at) },
  ];
  const body: TeamsElement[] = [
    // Fixed words only in markdown-reading elements; values from the cluster go in TextRuns below.
    {
      type: 'TextBlock',
      text: `${say.emoji(e.kind)} ${say.headline(e.kind, e)}`,
      wrap: true,
      size: 'Large',
      weight: 'Bolder',
      color: TEAMS_COLORS[e.kind],
      style: 'heading',
    },
    { type: 'RichTextBlock', inlines: [run(t(say.statusNote(e), 300), e.kind === 'test' ? { weight: 'Bolder' } : {})] },
    labelled('Service', t(e.service, 200)),
    labelled('Stack', t(say.stackText(e), 100)),
    labelled('Endpoint mode', t(e.endpointMode, 40)),
    { type: 'FactSet', facts },
    labelled(say.hotLabel(e), t(say.hotText(e) ?? 'none stands out', 300)),
    ...(e.pinning ? [labelled('Pinning', t(e.pinning, 1000))] : []),
    ...(say.signalText(e) ? [labelled('Signal', t(say.signalText(e) ?? '', 200))] : []),
    { type: 'TextBlock', text: 'Traffic share per replica', wrap: true, weight: 'Bolder' },
    {
      type: 'Container',
      items: fmt.shareRows(e, b.rows).map((line): TeamsElement => ({
        type: 'RichTextBlock',
        spacing: 'None',
        inlines: [run(line, { fontType: 'Monospace' })],
      })),
    },
    labelled('Likely cause', prose(t(e.cause, 1200))),
    labelled('Fix', prose(t(e.fix, 1200))),
    ...(e.command
      ? [
          {
            type: 'RichTextBlock',
            inlines: [
              run('Command: ', { weight: 'Bolder' }),
              run(fmt.truncate(e.command, fmt.cap(2000, b)), { fontType: 'Monospace' }),
            ],
          } satisfies TeamsElement,
        ]
      : []),
    {
      type: 'RichTextBlock',
      inlines: [run(`swarm-balance · ${say.kindLabel(e.kind)} · alert ${t(e.id, 200)}`, { isSubtle: true })],
    },
  ];
  const card: TeamsCard = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(e.dashboardUrl
      ? { actions: [{ type: 'Action.OpenUrl', title: 'Open the dashboard', url: e.dashboardUrl }] }
      : {}),
  };
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

/** A plain message (digest, remediation notice): one TextBlock per line, the first in bold. */
export function renderTeamsText(m: TextMessage): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: m.lines.slice(0, TEAMS_LIMITS.textLines).map((l, i) => ({
            type: 'TextBlock',
            text: cutText(l, TEAMS_LIMITS.textLine),
            wrap: true,
            ...(i === 0 ? { weight: 'Bolder' } : {}),
          })),
        },
      },
    ],
  };
}

export const teams = defineChannel({
  name: 'teams',
  settings: [
    {
      key: 'teamsWebhookUrl',
      env: 'SWARM_BALANCE_TEAMS_WEBHOOK_URL',
      kind: 'url',
      default: null,
      secret: true,
      blankFileIsUnset: true,
      help: 'Microsoft Teams Workflows webhook URL',
    },
  ],
  minIntervalMs: 1000,
  refreshMs: null,
  endpoint: (c) => c.teamsWebhookUrl,
  render: renderTeams,
  renderText: renderTeamsText,
});
