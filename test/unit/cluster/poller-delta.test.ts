// Rounds against a peer that answers as an agent does (core/report-for-peers.ts answerPeer, over a real
// node:http server): the tagged report first, then the windows alone, read back into the same report as
// a whole one would give; a new tag when the peer's tasks change; and a peer whose delta follows nothing
// the poller holds is refused and asked afresh.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../../src/adapters/http.js';
import { PeerPoller } from '../../../src/cluster/poller.js';
import { ReportTags } from '../../../src/core/report-delta.js';
import { answerPeer, leanReport } from '../../../src/core/report-for-peers.js';
import type { NodeReport } from '../../../src/core/types.js';
import { endpoint, nodeReport, webTask } from '../support/cluster-factories.js';

const node2 = { id: 'node-id-2', name: 'node-2', role: 'worker' as const, leader: false };
const tasksOf = (count: number, slots = [1, 2]) => slots.map((slot) => webTask(slot, 2, count * slot));
let current: NodeReport;
/** When set, the peer answers this body whatever it is asked (a lying or broken peer). */
let forced: unknown = null;
const urls: string[] = [];
const kinds: string[] = [];
let tags = new ReportTags('p');
let server: Server;
let peer = '';
let http: HttpClient;

beforeAll(async () => {
  server = createServer((req, res) => {
    urls.push(req.url ?? '');
    const url = new URL(req.url ?? '/', 'http://peer');
    const inbound = (url.searchParams.get('inbound') ?? '').split(',').filter(Boolean);
    const body =
      forced ??
      answerPeer(
        current,
        { inbound, lean: url.searchParams.get('lean') === '1', known: url.searchParams.get('known') },
        tags,
      );
    const b = body as Record<string, unknown>;
    kinds.push('same' in b ? 'windows' : 'tag' in b ? 'tagged' : 'untagged');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  peer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise((resolve) => server.close(resolve)));
afterEach(async () => {
  await http?.close();
  urls.length = 0;
  kinds.length = 0;
  forced = null;
  tags = new ReportTags('p');
});

function poller(): PeerPoller {
  http = createHttpClient({ timeoutMs: 2000, maxBytes: 1024 * 1024, connectionsPerOrigin: 1 });
  return new PeerPoller(http, null, 2, pino({ level: 'silent' }));
}

describe('PeerPoller with a peer that answers deltas', () => {
  it('reads the windows alone into the report a whole answer gives, round after round', async () => {
    const p = poller();
    const seen: (NodeReport | undefined)[] = [];
    const counts: (number | undefined)[][] = [];
    for (const [i, count] of [10, 20, 30].entries()) {
      current = nodeReport({ node: node2, at: 1_700_000_000_000 + i * 5000, tasks: tasksOf(count) });
      const [r] = await p.poll([peer], []);
      expect(r?.state).toBe('ok');
      seen.push(r?.report);
      counts.push(r?.report?.tasks.map((t) => t.window.connections?.count) ?? []);
    }
    expect(kinds).toEqual(['tagged', 'windows', 'windows']);
    expect(urls).toEqual(['/v1/report?lean=1&known=', '/v1/report?lean=1&known=p.1', '/v1/report?lean=1&known=p.1']);
    expect(seen[2]).toEqual(leanReport(current, false));
    expect(counts).toEqual([
      [10, 20],
      [20, 40],
      [30, 60],
    ]);
    // The tasks are the ones kept for the next delta, which sets its windows on them: a round's report is
    // read before the next poll (src/cluster/evaluator.ts keeps only a summary of it).
    expect(seen[1]?.tasks[0]).toBe(seen[2]?.tasks[0]);
    expect(seen[1]?.at).toBe(1_700_000_005_000);
  });

  it('gets the report tagged anew when the tasks change, and whole with addresses in a round naming hot tasks', async () => {
    const p = poller();
    current = nodeReport({ node: node2, tasks: tasksOf(10) });
    await p.poll([peer], []);
    current = nodeReport({ node: node2, tasks: tasksOf(10, [1, 2, 3]) });
    const [grown] = await p.poll([peer], []);
    expect(grown?.report?.tasks.map((t) => t.id)).toEqual(['t1', 't2', 't3']);
    current = nodeReport({
      node: node2,
      tasks: tasksOf(11, [1, 2, 3]),
      endpoints: [endpoint({ nodeId: 'node-id-2', task: 't1' })],
    });
    const [hot] = await p.poll([peer], ['t1']);
    expect(hot?.report?.endpoints).toHaveLength(1);
    const [after] = await p.poll([peer], []);
    expect(after?.report?.tasks.map((t) => t.window.connections?.count)).toEqual([11, 22, 33]);
    expect(kinds).toEqual(['tagged', 'tagged', 'untagged', 'windows']);
    expect(urls[1]).toBe('/v1/report?lean=1&known=p.1');
    expect(urls[3]).toBe('/v1/report?lean=1&known=p.2');
  });

  it('refuses a delta of a tag it does not hold, and asks afresh the next round', async () => {
    const p = poller();
    current = nodeReport({ node: node2, tasks: tasksOf(10) });
    await p.poll([peer], []);
    const { tasks: _tasks, ...top } = leanReport(current, false);
    forced = { ...top, same: 'p.7', windows: [Array(9).fill(null), Array(9).fill(null)] };
    const [lie] = await p.poll([peer], []);
    expect(lie).toMatchObject({ state: 'invalid', reason: 'report_shape' });
    expect(lie?.error).toMatch(/follows tag p\.7, not the report this agent keeps for the peer/);
    forced = null;
    const [next] = await p.poll([peer], []);
    expect(next?.state).toBe('ok');
    expect(urls.at(-1)).toBe('/v1/report?lean=1&known=');
  });

  it('forgets what it held for a peer it no longer polls', async () => {
    const p = poller();
    current = nodeReport({ node: node2, tasks: tasksOf(10) });
    await p.poll([peer], []);
    await p.poll([], []);
    await p.poll([peer], []);
    expect(urls).toEqual(['/v1/report?lean=1&known=', '/v1/report?lean=1&known=']);
  });
});
