// `swarm-balance notify-test`: one test message to every configured channel, and what each answered.
import { readFileSync } from 'node:fs';
import { createPoster } from '../adapters/post.js';
import { CHANNELS } from '../channels/index.js';
import { parseConfig } from '../config.js';
import { adviceFor, type AlertEvent } from '../core/alert.js';
import { configuredChannels } from '../notify/channels.js';
import { makeScrubber, scrubTexts } from '../scrub.js';

export function testEvent(now: number, dashboardUrl: string | null): AlertEvent {
  const advice = adviceFor('example_web', 'vip', [
    { target: 80, published: 8080, protocol: 'tcp', publishMode: 'ingress' },
  ]);
  return {
    id: `test:${now}`,
    kind: 'test',
    at: now,
    startedAt: now - 5 * 60_000,
    endedAt: null,
    service: 'example_web',
    serviceId: 'test',
    stack: 'example',
    endpointMode: 'vip',
    replicas: { running: 3, desired: 3 },
    signal: 'connections',
    threshold: 0.8,
    imbalance: 0.97,
    hot: { name: 'example_web.2', slot: '2', node: 'node-3', share: 0.98 },
    replicasShare: [
      { name: 'example_web.1', slot: '1', node: 'node-1', share: 0.01 },
      { name: 'example_web.2', slot: '2', node: 'node-3', share: 0.98 },
      { name: 'example_web.3', slot: '3', node: 'node-2', share: 0.01 },
    ],
    pinning:
      'example_web.2 on node-3 takes 98 % of the traffic; 90 % of its 10 open connection(s) come from example_proxy.1 (10.0.1.23 on node-1)',
    ...advice,
    dashboardUrl,
  };
}

export async function notifyTestCommand(
  args: readonly string[],
  env: Record<string, string | undefined> = process.env,
): Promise<number> {
  const config = parseConfig(env, args, (p) => readFileSync(p, 'utf8'));
  const channels = configuredChannels(config);
  if (channels.length === 0) {
    process.stdout.write(`no channel configured: set ${channelVariables()}\n`);
    return 2;
  }
  const poster = createPoster(config.notifyTimeoutMs);
  // A service may echo the request's path (the secret) in its reply: nothing printed shows it.
  const scrub = makeScrubber(scrubTexts(config));
  const event = testEvent(Date.now(), config.dashboardUrl);
  let failed = 0;
  for (const channel of channels) {
    const result = await poster.post(channel.url, channel.render(event));
    const ok = result.kind === 'response' && result.status >= 200 && result.status < 300;
    if (!ok) failed++;
    const answer =
      result.kind === 'response'
        ? `HTTP ${result.status}${result.body ? ` ${scrub(result.body).replace(/\s+/g, ' ').slice(0, 200)}` : ''}`
        : `no answer (${result.reason})`;
    process.stdout.write(scrub(`${ok ? 'ok  ' : 'FAIL'}  ${channel.name.padEnd(12)} ${answer}\n`));
  }
  await poster.close();
  return failed > 0 ? 1 : 0;
}

/** "SWARM_BALANCE_SLACK_WEBHOOK_URL, _TEAMS_WEBHOOK_URL, …, _TELEGRAM_BOT_TOKEN with _TELEGRAM_CHAT_ID, … or _ALERTMANAGER_URL". */
export function channelVariables(): string {
  const each = CHANNELS.map((c) =>
    c.settings
      .filter((s) => s.default === null)
      .map((s) => s.env.replace(/^SWARM_BALANCE_/, '_'))
      .join(' with '),
  );
  return `SWARM_BALANCE${each.slice(0, -1).join(', ')} or ${each.at(-1) ?? ''}`;
}
