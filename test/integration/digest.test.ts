// The digest: on the cron schedule the active evaluator sends, per service, how even traffic was
// and how long it was skewed since the last digest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from '../support/docker.js';
import { waitFor, type AgentProcess } from '../support/agent-process.js';
import { agentOverSpreadService } from '../support/engine-agent.js';
import { startRecorder, type Recorder } from '../support/recorder.js';

const NET = 'sbdig-net';
const SERVICE = 'sbdig-web';
let agent: AgentProcess;
let chat: Recorder;

interface Digest {
  schema: string;
  from: string;
  to: string;
  services: { service: string; meanImbalance: number | null; skewedMs: number; observedMs: number }[];
}

beforeAll(async () => {
  await cleanup('sbdig-');
  chat = await startRecorder();
  agent = await agentOverSpreadService(
    { service: SERVICE, network: NET, replicas: 2, client: 'sbdig-load', rate: 20 },
    {
      SWARM_BALANCE_INTERVAL: '1s',
      SWARM_BALANCE_WINDOW: '10s',
      SWARM_BALANCE_MIN_EVENTS: '10',
      SWARM_BALANCE_WEBHOOK_URL: `${chat.url}/webhook`,
      SWARM_BALANCE_DIGEST_CRON: '*/10 * * * * *',
    },
    19498,
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await chat?.close();
  await cleanup('sbdig-');
});

describe('SWARM_BALANCE_DIGEST_CRON', () => {
  it('sends a digest on schedule with the evenness and skewed time of each service since the last one', async () => {
    const digests = () =>
      chat
        .on('/webhook')
        .map((r) => r.body as Digest)
        .filter((b) => b.schema === 'swarm-balance.digest/v1');
    // The first digest may cover only a moment; the second covers a whole 10 s period of spread traffic.
    await waitFor(
      async () => digests().some((d) => d.services.some((s) => s.service === SERVICE && s.meanImbalance !== null)),
      40_000,
      'a digest naming the service',
      agent.logs,
    );
    const digest = digests().find((d) => d.services.some((s) => s.service === SERVICE && s.meanImbalance !== null))!;
    const entry = digest.services.find((s) => s.service === SERVICE)!;
    expect(entry.skewedMs).toBe(0);
    expect(entry.meanImbalance).toBeLessThan(0.5);
    expect(entry.observedMs).toBeGreaterThan(0);
    expect(Date.parse(digest.to)).toBeGreaterThan(Date.parse(digest.from));
  });
});
