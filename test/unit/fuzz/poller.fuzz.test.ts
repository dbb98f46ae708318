// The whole peer path: a real HTTP server on 127.0.0.1 answers random bodies to a PeerPoller over createHttpClient.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../../src/adapters/http.js';
import { PEER_STATES, PeerPoller, type PeerResult, type PeerState } from '../../../src/cluster/poller.js';
import { parseNodeReport } from '../../../src/core/report-schema.js';
import { createLogger } from '../../../src/logger.js';
import { ParseError } from '../../../src/errors.js';
import { damage, damaged, nodeReport } from './report-gen.js';
import { runs } from './support.js';

// The whole request's deadline. It must let 16 MiB through loopback on a loaded 2-vCPU machine (the unit
// suite runs its files side by side): at 500 ms a 17 MB chunked body timed out there before its limit was
// reached. Only the silent and stalled answers wait it out.
const TIMEOUT_MS = 2000;
const MAX_BYTES = 16 * 1024 * 1024;
const TOKEN = 'fuzz-poller-token-5f1c';

/** One answer: a status, the body bytes, and how they are framed on the wire. */
interface Answer {
  status: number;
  body: Buffer;
  framing: 'length' | 'chunked' | 'short' | 'silent' | 'stall';
}

let answer: Answer = { status: 200, body: Buffer.alloc(0), framing: 'length' };
const sockets = new Set<import('node:net').Socket>();

function serve(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.on('error', () => undefined);
  const { status, body, framing } = answer;
  if (framing === 'silent') return; // never answers: the client must time out
  if (framing === 'short') {
    // Declares more than it sends, then hangs up.
    req.socket.end(
      Buffer.concat([
        Buffer.from(`HTTP/1.1 ${status} X\r\ncontent-length: ${body.length + 100}\r\nconnection: close\r\n\r\n`),
        body,
      ]),
    );
    return;
  }
  res.statusCode = status;
  if (framing === 'length') res.setHeader('content-length', body.length);
  if (framing === 'stall') {
    res.write(body.subarray(0, body.length >> 1));
    return;
  } // half a body, then silence
  if (framing === 'chunked') {
    for (let i = 0; i < body.length; i += 4096) res.write(body.subarray(i, i + 4096));
    res.end();
  } else res.end(body);
}

/** What the poller should make of a 200 answer: undici skips a UTF-8 BOM and reads bytes as UTF-8 with U+FFFD. */
function expectedState(a: Answer): PeerState {
  if (a.framing === 'silent' || a.framing === 'stall') return 'timeout';
  if (a.framing === 'short') return 'unreachable';
  if (a.status === 401 || a.status === 403) return 'unauthorized';
  if (a.status !== 200) return 'error';
  if (a.body.length > MAX_BYTES) return 'too_large';
  try {
    parseNodeReport(JSON.parse(new TextDecoder('utf-8').decode(a.body)));
    return 'ok';
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof ParseError) return 'invalid';
    throw err;
  }
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v) ?? '');
/** Bodies a peer may send: valid, cut, damaged, any JSON, random bytes, invalid UTF-8 inside a valid report, empty, BOM. */
const body = fc.oneof(
  nodeReport.map(json),
  fc.tuple(nodeReport, fc.double({ min: 0, max: 1, noNaN: true })).map(([r, at]) => {
    const b = json(r);
    return b.subarray(0, Math.floor(b.length * at));
  }),
  fc.tuple(nodeReport, damage).map(([r, d]) => json(damaged(r, d).body)),
  fc.jsonValue().map(json),
  fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)),
  fc.tuple(nodeReport, fc.constantFrom([0xff], [0xc3], [0xed, 0xa0, 0x80], [0xf0, 0x9f])).map(([r, bad]) => {
    const b = json({ ...r, node: { ...r.node, name: 'AB' } });
    const at = b.indexOf('"AB"') + 2;
    return Buffer.concat([b.subarray(0, at), Buffer.from(bad), b.subarray(at)]);
  }),
  fc.constant(Buffer.alloc(0)),
  nodeReport.map((r) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(r)])),
);
const status = fc.oneof(
  { weight: 8, arbitrary: fc.constant(200) },
  { weight: 1, arbitrary: fc.constantFrom(401, 403, 404, 500, 204, 302) },
);

describe('PeerPoller over a real HTTP server answering random bodies', () => {
  let server: Server;
  let peer: string;
  let http: HttpClient;
  let poller: PeerPoller;
  const logs: string[] = [];

  beforeAll(async () => {
    server = createServer(serve);
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    peer = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES, connectionsPerOrigin: 1 });
    poller = new PeerPoller(
      http,
      TOKEN,
      4,
      createLogger('info', [TOKEN], {
        write: (line: string) => {
          logs.push(line);
        },
      }),
    );
  });

  afterAll(async () => {
    await http.close();
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  async function pollWith(a: Answer): Promise<PeerResult> {
    answer = a;
    const results = await poller.poll([peer], ['task-1']);
    expect(results).toHaveLength(1);
    const [result] = results;
    expect(PEER_STATES).toContain(result!.state);
    return result!;
  }

  it('gives every random answer a known state, the one its status and body call for', async () => {
    await fc.assert(
      fc.asyncProperty(body, status, fc.constantFrom('length' as const, 'chunked' as const), async (b, s, framing) => {
        const a: Answer = { status: s, body: b, framing };
        const result = await pollWith(a);
        expect(result.state, result.error).toBe(expectedState(a));
        if (result.state === 'ok')
          expect(result.report).toEqual(parseNodeReport(JSON.parse(new TextDecoder().decode(b))));
      }),
      runs(40),
    );
  });

  it.each<[string, () => Answer]>([
    [
      'a body of 17 MB with its length declared',
      () => ({ status: 200, body: Buffer.alloc(17 * 1024 * 1024, 0x20), framing: 'length' }),
    ],
    [
      'a body of 17 MB sent chunked',
      () => ({ status: 200, body: Buffer.alloc(17 * 1024 * 1024, 0x20), framing: 'chunked' }),
    ],
    ['a valid report padded to exactly 16 MiB', () => ({ status: 200, body: padded(MAX_BYTES), framing: 'chunked' })],
    [
      'a valid report padded to 16 MiB and one byte',
      () => ({ status: 200, body: padded(MAX_BYTES + 1), framing: 'chunked' }),
    ],
    [
      '100 000 levels of nested arrays',
      () => ({ status: 200, body: Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), framing: 'length' }),
    ],
    [
      'a body that stops short of its declared length',
      () => ({ status: 200, body: json({ version: 1 }), framing: 'short' }),
    ],
    ['no answer at all', () => ({ status: 200, body: Buffer.alloc(0), framing: 'silent' })],
    [
      'half a body, then silence',
      () => ({ status: 200, body: json({ version: 1, pad: 'x'.repeat(1000) }), framing: 'stall' }),
    ],
  ])('gives %s its state', async (_what, make) => {
    const a = make();
    const result = await pollWith(a);
    expect(result.state, result.error).toBe(expectedState(a));
  });

  it('never writes the bearer token into its log', () => {
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.join('')).not.toContain(TOKEN);
  });
});

/** A valid report followed by spaces up to `size` bytes: still valid JSON. */
function padded(size: number): Buffer {
  const b = json(fc.sample(nodeReport, { seed: 3, numRuns: 1 })[0]);
  return Buffer.concat([b, Buffer.alloc(size - b.length, 0x20)]);
}
