// A remediated service's secrets (its env and labels) never leave the agent: not in a chat payload,
// not in a log line, not in a metric — in dry-run and in on, on a real engine with real chat stand-ins.
import { describe, expect, it } from 'vitest';
import { createOverlay, createService, docker, taskIps, waitForRunning } from '../support/docker.js';
import { startPinnedConnections } from '../support/load-clients.js';
import { cleanUpAfterEach } from '../support/hooks.js';
import { scrape, series, startAgentProcess, waitFor, type AgentProcess } from '../support/agent-process.js';
import { startStandin, type Standin, type StandinKind } from '../support/chat-standins.js';

const NET = 'sbsec-net';
const ENV_SECRET = 'hunter2-ENV-SECRET';
const LABEL_SECRET = '$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/';
const PLANTED = [ENV_SECRET, LABEL_SECRET, 'IgXLP6ewTrSuBkTrqE8wj', 'basicauth.users', 'DB_PASSWORD'];
const CHATS: StandinKind[] = ['slack', 'teams', 'discord', 'mattermost', 'telegram', 'webhook'];

let agent: AgentProcess | null = null;
let standins: Standin[] = [];

function chatEnv(): Record<string, string> {
  const at = (k: StandinKind) => standins.find((s) => s.kind === k)!.url;
  return {
    SWARM_BALANCE_SLACK_WEBHOOK_URL: `${at('slack')}/services/T000/B000/slacksecret`,
    SWARM_BALANCE_TEAMS_WEBHOOK_URL: `${at('teams')}/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=2016-06-01&sig=teamssecret`,
    SWARM_BALANCE_DISCORD_WEBHOOK_URL: `${at('discord')}/api/webhooks/123456789012345678/discordsecret`,
    SWARM_BALANCE_MATTERMOST_WEBHOOK_URL: `${at('mattermost')}/hooks/mattermostsecret`,
    SWARM_BALANCE_TELEGRAM_API_URL: at('telegram'),
    SWARM_BALANCE_TELEGRAM_BOT_TOKEN: '123456:telegram-secret',
    SWARM_BALANCE_TELEGRAM_CHAT_ID: '-1001234567890',
    SWARM_BALANCE_WEBHOOK_URL: `${at('webhook')}/hook/webhooksecret`,
  };
}

async function collapsing(name: string): Promise<void> {
  await createService({
    name,
    image: 'sb-test/node:1',
    replicas: 2,
    network: NET,
    args: ['node', '/app/demo-app.js'],
    env: { DB_PASSWORD: ENV_SECRET },
    labels: {
      'swarm-balance.remediate': 'endpoint-mode',
      'traefik.http.middlewares.auth.basicauth.users': `admin:${LABEL_SECRET}`,
    },
  });
  await waitForRunning(name, 2, 60_000);
  const target = (await taskIps(name, NET))[0]!;
  await startPinnedConnections(`${name}-client`, NET, target.ip);
}

cleanUpAfterEach('sbsec-', async () => {
  await agent?.stop();
  agent = null;
  await Promise.all(standins.map((s) => s.close()));
  standins = [];
});

describe.each([
  ['dry-run', 'dry_run'],
  ['on', 'applied'],
] as const)('remediation in %s mode of a service with secrets in its env and labels', (mode, result) => {
  it('tells every chat channel, the log and the metrics about the change and nothing of the secrets', async () => {
    await createOverlay(NET);
    const name = `sbsec-${mode === 'on' ? 'on' : 'dry'}`;
    await collapsing(name);
    // The secrets are really in the spec the agent reads.
    const spec = await docker(['service', 'inspect', name]);
    expect(spec).toContain(ENV_SECRET);
    expect(spec).toContain('IgXLP6ewTrSuBkTrqE8wj');
    standins = await Promise.all(CHATS.map((k) => startStandin(k)));
    agent = await startAgentProcess(
      {
        DOCKER_HOST: 'unix:///run/sb-test/docker.sock',
        SWARM_BALANCE_INTERVAL: '1s',
        SWARM_BALANCE_WINDOW: '10s',
        SWARM_BALANCE_SKEW_FOR: '2s',
        SWARM_BALANCE_RESOLVE_FOR: '2s',
        SWARM_BALANCE_MIN_EVENTS: '10',
        SWARM_BALANCE_REMEDIATE: mode,
        SWARM_BALANCE_REMEDIATE_SETTLE: '4s',
        SWARM_BALANCE_LOG_LEVEL: 'debug',
        ...chatEnv(),
      },
      19493,
    );
    const noticed = (s: Standin) => s.requests.some((r) => r.body.includes('remediation') && r.body.includes(name));
    await waitFor(
      async () => standins.every(noticed),
      60_000,
      `a ${result} notice on every chat channel`,
      () => agent!.logs(),
    );
    expect(
      series(await scrape(agent.url), 'swarm_balance_remediations_total', { service: name, result }).reduce(
        (a, s) => a + s.value,
        0,
      ),
    ).toBe(1);

    const payloads = standins.flatMap((s) => s.requests.map((r) => `${s.kind}: ${r.path} ${r.body}`)).join('\n');
    expect(payloads).toContain(
      mode === 'on' ? `switched ${name} from vip to dnsrr` : `would switch ${name} from vip to dnsrr`,
    );
    const metrics = await (await fetch(`${agent.url}/metrics`)).text();
    for (const text of [payloads, agent.logs(), metrics]) {
      for (const secret of PLANTED) expect(text).not.toContain(secret);
    }
  });
});
