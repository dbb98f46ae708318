// A chat service that echoes the request (its path, query and body) in its error reply must not make
// the agent or the CLI print the channel's secret: the path and query of every webhook URL and every
// configured secret are scrubbed from logs and from notify-test's output.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPoster } from '../../../src/adapters/post.js';
import { notifyTestCommand, testEvent } from '../../../src/commands/notify-test.js';
import { parseConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logger.js';
import { ChannelQueue } from '../../../src/notify/channel-queue.js';
import { configuredChannels } from '../../../src/notify/channels.js';
import { scrubTexts } from '../../../src/scrub.js';

let echo: Server;
let base = '';

beforeAll(async () => {
  // Answers 400 and echoes the request the way some services do, in three spellings: raw, JSON-escaped, URL-decoded.
  echo = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(
        `bad request to ${req.url} ${JSON.stringify({ path: req.url })} ${decodeURIComponent(req.url ?? '')} body=${body.slice(0, 100)}`,
      );
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => echo.close(resolve));
});

afterEach(() => {
  vi.restoreAllMocks();
});

interface Case {
  channel: string;
  env(base: string): Record<string, string>;
  /** Parts of the address that must never be printed. */
  secrets: string[];
}

const CASES: Case[] = [
  {
    channel: 'slack',
    env: (u) => ({ SWARM_BALANCE_SLACK_WEBHOOK_URL: `${u}/services/T0SLACK/B0SLACK/slackPathSecret1` }),
    secrets: ['slackPathSecret1', '/services/T0SLACK/B0SLACK'],
  },
  {
    channel: 'teams',
    env: (u) => ({
      SWARM_BALANCE_TEAMS_WEBHOOK_URL: `${u}/workflows/teamsflow42/triggers/manual/paths/invoke?api-version=2016-06-01&sig=teamsSig%2Bsecret`,
    }),
    secrets: ['teamsSig', 'sig=', 'teamsflow42'],
  },
  {
    channel: 'discord',
    env: (u) => ({ SWARM_BALANCE_DISCORD_WEBHOOK_URL: `${u}/api/webhooks/123456789012345678/discordTokenSecret` }),
    secrets: ['discordTokenSecret', '123456789012345678'],
  },
  {
    channel: 'mattermost',
    env: (u) => ({ SWARM_BALANCE_MATTERMOST_WEBHOOK_URL: `${u}/hooks/mattermostHookSecret` }),
    secrets: ['mattermostHookSecret'],
  },
  {
    channel: 'telegram',
    env: (u) => ({
      SWARM_BALANCE_TELEGRAM_API_URL: u,
      SWARM_BALANCE_TELEGRAM_BOT_TOKEN: '987654:telegramBotSecret',
      SWARM_BALANCE_TELEGRAM_CHAT_ID: '-100123',
    }),
    secrets: ['telegramBotSecret', '987654:'],
  },
  {
    channel: 'webhook',
    env: (u) => ({ SWARM_BALANCE_WEBHOOK_URL: `${u}/hook?key=webhookKeySecret&x=1` }),
    secrets: ['webhookKeySecret', 'key='],
  },
];

const noFile = (): string => {
  throw new Error('no files here');
};

describe.each(CASES)('the $channel channel, against a service that echoes the request', (c) => {
  it("logs the failed delivery without the address's path, query or secret", async () => {
    const config = parseConfig(c.env(base), [], noFile);
    const channels = configuredChannels(config);
    expect(channels.map((ch) => ch.name)).toEqual([c.channel]);
    let logged = '';
    const logger = createLogger(
      'debug',
      scrubTexts(config),
      new Writable({
        write(chunk: Buffer, _e, cb) {
          logged += chunk.toString();
          cb();
        },
      }) as never,
    );
    const poster = createPoster(2000);
    const queue = new ChannelQueue(channels[0]!, {
      post: poster.post,
      logger,
      count: () => undefined,
      now: Date.now,
      random: () => 0.5,
      backoff: { baseMs: 10, maxMs: 10 },
      limit: 10,
      maxAgeMs: 60_000,
    });
    queue.enqueue(testEvent(Date.now(), null));
    const deadline = Date.now() + 5000;
    while (!logged.includes('notification given up') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    queue.close();
    await poster.close();
    // The echo did reach the log (scrubbed), so the check below has something to look at.
    expect(logged).toContain('bad request to');
    for (const secret of c.secrets) expect(logged).not.toContain(secret);
  });

  it("notify-test prints the reply without the address's path, query or secret", async () => {
    const env = c.env(base);
    const saved = { ...process.env };
    let printed = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += chunk.toString();
      return true;
    });
    try {
      for (const key of Object.keys(process.env)) if (key.startsWith('SWARM_BALANCE_')) delete process.env[key];
      Object.assign(process.env, env);
      expect(await notifyTestCommand([])).toBe(1);
    } finally {
      process.env = saved;
    }
    expect(printed).toContain('bad request to');
    for (const secret of c.secrets) expect(printed).not.toContain(secret);
  });
});

describe('makeScrubber over a configuration', () => {
  it('scrubs every secret value, even a short one, but not ordinary words from the address', async () => {
    const { makeScrubber } = await import('../../../src/scrub.js');
    const config = parseConfig(
      {
        SWARM_BALANCE_PEER_TOKEN: 'abc',
        SWARM_BALANCE_DISCORD_WEBHOOK_URL:
          'https://discord.example/api/webhooks/123456789012345678/tok3nSecret?wait=true',
      },
      [],
      noFile,
    );
    const scrub = makeScrubber(scrubTexts(config));
    expect(
      scrub(
        'token abc; {"firing":true,"service":"webhooks"}; https://discord.example/api/webhooks/123456789012345678/tok3nSecret?wait=true',
      ),
    ).toBe('token [redacted]; {"firing":true,"service":"webhooks"}; [redacted]');
    expect(scrub('echo: tok3nSecret and 123456789012345678')).toBe('echo: [redacted] and [redacted]');
  });
});
