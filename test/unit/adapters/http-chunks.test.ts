// getChunks on undici's dispatcher: a refused status or size hangs up and says why, an exception of the
// reader is thrown as it is, and a request left waiting for the origin's one connection still ends at
// its deadline; the client goes on working after each.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, HttpStatusError, type HttpClient } from '../../../src/adapters/http.js';
import { AgentError, ErrorCodes } from '../../../src/errors.js';

const TIMEOUT_MS = 400;
let server: Server | undefined;
let http: HttpClient | undefined;
/** Responses the server saw closed before they were sent whole. */
let cutShort = 0;

afterEach(async () => {
  await http?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = http = undefined;
  cutShort = 0;
});

/** A server answering by path: /ok, /401, /big (declares 1 MB), /slow (answers after 1.5 s). */
async function start(): Promise<string> {
  server = createServer((req, res) => {
    res.on('close', () => {
      if (!res.writableFinished) cutShort++;
    });
    if (req.url?.startsWith('/401'))
      return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"no"}');
    if (req.url === '/big') {
      res.writeHead(200, { 'content-length': String(1024 * 1024) });
      return void res.write(Buffer.alloc(1024));
    }
    if (req.url === '/slow') return void setTimeout(() => res.end('{"slow":true}'), 1500);
    res.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => new Error('answered'),
    (e: unknown) => e,
  );

async function text(base: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  await http!.getChunks(`${base}/ok`, undefined, (c) => chunks.push(c));
  return Buffer.concat(chunks).toString();
}

describe('createHttpClient getChunks', () => {
  it('throws the status of a refusal, never the query, and goes on working', async () => {
    const base = await start();
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    const err = await failure(http.getChunks(`${base}/401?known=secret-tag`, undefined, () => undefined));
    expect(err).toBeInstanceOf(HttpStatusError);
    expect((err as HttpStatusError).status).toBe(401);
    expect((err as Error).message).toBe(`${base}/401 answered HTTP 401`);
    expect(await text(base)).toBe('{"ok":true}');
  });

  it('hangs up on a declared length over the limit without reading it', async () => {
    const base = await start();
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    const err = await failure(http.getChunks(`${base}/big`, undefined, () => undefined));
    expect((err as AgentError).code).toBe(ErrorCodes.HTTP_BODY_TOO_LARGE);
    expect((err as Error).message).toMatch(/body of 1048576 bytes is over the 65536-byte limit/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(cutShort).toBe(1);
    expect(await text(base)).toBe('{"ok":true}');
  });

  it("throws the reader's own exception as it is", async () => {
    const base = await start();
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    const mine = new RangeError('refused by the reader');
    expect(
      await failure(
        http.getChunks(`${base}/ok`, undefined, () => {
          throw mine;
        }),
      ),
    ).toBe(mine);
    expect(await text(base)).toBe('{"ok":true}');
  });

  it('ends a request still waiting for the connection at its deadline', async () => {
    const base = await start();
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    const started = Date.now();
    const [first, second] = await Promise.all([
      failure(http.getChunks(`${base}/slow`, undefined, () => undefined)),
      failure(http.getChunks(`${base}/ok`, undefined, () => undefined)),
    ]);
    for (const err of [first, second]) expect((err as AgentError).code).toBe(ErrorCodes.HTTP_TIMEOUT);
    expect(Date.now() - started).toBeLessThan(1200);
    expect(await text(base)).toBe('{"ok":true}');
  });

  it('says a refused connection is one', async () => {
    const base = await start();
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    const err = await failure(http.getChunks(`${base}/ok`, undefined, () => undefined));
    expect((err as AgentError).code).toBe(ErrorCodes.HTTP_CONNECT);
    expect((err as Error).message).toMatch(/failed: ECONNREFUSED/);
  });
});
