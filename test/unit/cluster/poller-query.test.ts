// What the poller asks each peer for: only what judging reads (?lean=1), the tag of the tasks it holds
// (?known=, none yet here), and the hot tasks' inbound connections when there are any. A peer from
// before `lean` and `known` answers its whole report, untagged, read as well.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/adapters/http.js';
import { PeerPoller } from '../../../src/cluster/poller.js';
import { endpoint, nodeReport, webTask } from '../support/cluster-factories.js';

const urls: string[] = [];
// Answers as an agent from before `lean` does: the whole report, whatever the query.
const whole = nodeReport({
  tasks: [webTask(1, 1, 10, { counters: { connectionsAccepted: 7 }, rates: { connections: 0.2 } })],
  endpoints: [endpoint({ address: '10.0.2.9', container: 'shop_proxy.1.abc', task: 'shop_proxy.1' })],
});
let server: Server;
let peer = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    urls.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(whole));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('PeerPoller query', () => {
  it('asks ?lean=1, with the hot tasks named when there are some, and reads a whole report as well', async () => {
    const http = createHttpClient({ timeoutMs: 2000, maxBytes: 1024 * 1024, connectionsPerOrigin: 1 });
    const poller = new PeerPoller(http, null, 2, pino({ level: 'silent' }));
    const quiet = await poller.poll([peer], []);
    const hot = await poller.poll([peer], ['t1', 'task 2']);
    const again = await poller.poll([peer], []);
    await http.close();
    // An untagged answer leaves nothing to name: the next round asks `known=` again.
    expect(urls).toEqual([
      '/v1/report?lean=1&known=',
      '/v1/report?lean=1&inbound=t1,task%202',
      '/v1/report?lean=1&known=',
    ]);
    expect(again[0]?.report).toEqual(quiet[0]?.report);
    for (const [r] of [quiet, hot]) {
      expect(r?.state).toBe('ok');
      expect(r?.report?.tasks[0]?.counters).toEqual({ connectionsAccepted: 7 });
      expect(r?.report?.endpoints.map((e) => e.container)).toEqual(['shop_proxy.1.abc']);
    }
  });
});
