// Golden payloads: what every channel of the registry POSTs for a firing, a resolved, a digest and a
// notify-test message, from fixed inputs, kept under test/golden/channels/ so a change of layout reads as a
// diff in review. After a deliberate change, update them all with one command:
//
//   npm run golden        (vitest run --project unit --update test/unit/golden)
//
// A channel added to src/channels/index.ts gets its files written by that command on its first run.
import { describe, expect, it } from 'vitest';
import { CHANNELS } from '../../../src/channels/index.js';
import type { Channel } from '../../../src/channels/types.js';
import { testEvent } from '../../../src/commands/notify-test.js';
import { parseConfig } from '../../../src/config.js';
import type { AlertEvent } from '../../../src/core/alert.js';
import { digestMessage } from '../../../src/core/digest.js';
import { alertEvent, DASHBOARD, T0 } from '../render/fixtures.js';

const HOUR = 3_600_000;

/** Every channel turned on, with addresses that say which setting they came from. */
const config = parseConfig(
  {
    SWARM_BALANCE_SLACK_WEBHOOK_URL: 'https://hooks.slack.example/services/T0/B0/slack-secret',
    SWARM_BALANCE_TEAMS_WEBHOOK_URL: 'https://teams.example/workflows/teams-secret',
    SWARM_BALANCE_DISCORD_WEBHOOK_URL: 'https://discord.example/api/webhooks/1/discord-secret',
    SWARM_BALANCE_MATTERMOST_WEBHOOK_URL: 'https://mattermost.example/hooks/mattermost-secret',
    SWARM_BALANCE_TELEGRAM_BOT_TOKEN: '123456:telegram-secret',
    SWARM_BALANCE_TELEGRAM_CHAT_ID: '-1001234567890',
    SWARM_BALANCE_WEBHOOK_URL: 'https://receiver.example/swarm-balance',
    SWARM_BALANCE_ALERTMANAGER_URL: 'http://alertmanager:9093',
    SWARM_BALANCE_DASHBOARD_URL: DASHBOARD,
  },
  [],
  () => '',
);

/** Two services over a working day: one skewed for 95 minutes, one balanced. */
const digest = digestMessage({
  id: `digest:${T0 + 8 * HOUR}`,
  service: '(digest)',
  from: T0,
  to: T0 + 8 * HOUR,
  services: [
    {
      service: 'shop_web',
      stack: 'shop',
      observedMs: 8 * HOUR,
      skewedMs: 95 * 60_000,
      meanImbalance: 0.41,
      maxImbalance: 0.93,
    },
    { service: 'shop_api', stack: 'shop', observedMs: 8 * HOUR, skewedMs: 0, meanImbalance: 0.07, maxImbalance: 0.2 },
  ],
  dashboardUrl: DASHBOARD,
});

const alerts: [string, AlertEvent][] = [
  ['firing', alertEvent('firing')],
  ['resolved', alertEvent('resolved')],
  ['test', testEvent(T0, DASHBOARD)],
];

const golden = (name: string, kase: string) => `../../golden/channels/${name}-${kase}.json`;
const json = (body: unknown) => `${JSON.stringify(body, null, 2)}\n`;

const configured: Channel[] = CHANNELS.map((module) => {
  const channel = module.configure(config);
  if (!channel) throw new Error(`${module.name} is not configured by the golden test's settings`);
  return channel;
});

/** What each channel posts: the three alerts, and the digest where the channel takes plain messages. */
const payloads = (channel: Channel): [string, () => unknown][] => [
  ...alerts.map(([kase, event]): [string, () => unknown] => [kase, () => channel.render(event)]),
  ...(channel.renderText ? [['digest', () => channel.renderText!(digest)] as [string, () => unknown]] : []),
];

describe.each(configured)('the $name channel', (channel) => {
  it.each(payloads(channel))('posts the golden %s payload', async (kase, body) => {
    await expect(json(body())).toMatchFileSnapshot(golden(channel.name, kase));
  });
});
