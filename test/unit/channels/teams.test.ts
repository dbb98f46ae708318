import { describe, expect, it } from 'vitest';
import { renderTeamsText, teams, TEAMS_LIMITS } from '../../../src/channels/teams.js';
import { channelBasics, textMessage } from './kit.js';

const URL = 'https://teams.example/workflows/secret';

channelBasics(teams, { SWARM_BALANCE_TEAMS_WEBHOOK_URL: URL }, URL, 1000);

interface Card {
  attachments: { content: { body: { text: string; weight?: string }[] } }[];
}

describe('the teams module', () => {
  it('sends a plain message as one TextBlock a line, the title in bold', () => {
    const body = (renderTeamsText(textMessage(['digest', 'shop_web: never skewed'])) as Card).attachments[0]!.content
      .body;
    expect(body.map((b) => [b.text, b.weight])).toEqual([
      ['digest', 'Bolder'],
      ['shop_web: never skewed', undefined],
    ]);
  });

  it('shows at most 60 lines of at most 1000 characters', () => {
    const lines = Array.from({ length: 100 }, () => 'w'.repeat(1500));
    const body = (renderTeamsText(textMessage(lines)) as Card).attachments[0]!.content.body;
    expect(body).toHaveLength(TEAMS_LIMITS.textLines);
    for (const block of body) expect(block.text).toHaveLength(TEAMS_LIMITS.textLine);
  });
});
