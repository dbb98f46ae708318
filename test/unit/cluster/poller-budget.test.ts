// A round's budget: silent peers cannot stretch a polling round past it.
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/adapters/http.js';
import { PeerPoller } from '../../../src/cluster/poller.js';

const silent: Server[] = [];

beforeAll(async () => {
  for (let i = 0; i < 10; i++) {
    const server = createServer(() => {
      /* never answers */
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    silent.push(server);
  }
});

afterAll(async () => {
  for (const server of silent) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

describe('PeerPoller round budget', () => {
  it('asks no peer after the budget is spent and counts the rest as timed out, without asking them', async () => {
    const http = createHttpClient({ timeoutMs: 300, maxBytes: 1024 * 1024, connectionsPerOrigin: 1 });
    const poller = new PeerPoller(http, null, 2, pino({ level: 'silent' }));
    // Ten silent peers, two at a time: without a budget, five waves of 300 ms.
    const peers = silent.map((s) => `127.0.0.1:${(s.address() as { port: number }).port}`);
    const results = await poller.poll(peers, [], 450);
    await http.close();
    expect(results.map((r) => r.state)).toEqual(Array(10).fill('timeout'));
    const notAsked = results.filter((r) => r.error?.startsWith('not asked'));
    const asked = results.length - notAsked.length;
    expect(asked).toBeGreaterThanOrEqual(2);
    expect(asked).toBeLessThanOrEqual(6);
    expect(notAsked.length).toBeGreaterThanOrEqual(4);
  });
});
