// Plain messages (digests, remediation notices) wrapped in each channel's own format.

export interface TextMessage {
  kind: 'text';
  id: string;
  service: string;
  /** First line is the title. */
  lines: string[];
  /** What the generic webhook receives instead of text (a versioned schema). */
  structured: unknown;
}

const escapeAngles = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const cut = (t: string, max: number) => (t.length > max ? `${t.slice(0, max - 1)}…` : t);

/** The body to POST, or null for a channel that takes no plain messages (Alertmanager). */
export function renderText(channel: string, m: TextMessage, chatId?: string): unknown {
  const text = m.lines.join('\n');
  switch (channel) {
    case 'slack':
      return { text: cut(m.lines.map(escapeAngles).join('\n'), 3000) };
    case 'mattermost':
      return { text: cut(text, 16_000) };
    case 'discord':
      return { content: cut(text, 2000), allowed_mentions: { parse: [] } };
    case 'teams':
      return {
        type: 'message',
        attachments: [
          {
            contentType: 'application/vnd.microsoft.card.adaptive',
            content: {
              $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
              type: 'AdaptiveCard',
              version: '1.4',
              body: m.lines.slice(0, 60).map((l, i) => ({
                type: 'TextBlock',
                text: cut(l, 1000),
                wrap: true,
                ...(i === 0 ? { weight: 'Bolder' } : {}),
              })),
            },
          },
        ],
      };
    case 'telegram':
      return {
        chat_id: chatId,
        text: cut(escapeAngles(text), 4096),
        parse_mode: 'HTML',
        disable_web_page_preview: true,
      };
    case 'webhook':
      return m.structured;
    default:
      return null;
  }
}
