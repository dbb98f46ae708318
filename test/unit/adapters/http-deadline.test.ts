// The outbound client's overall deadline: a peer that keeps sending a byte now and then, each well within
// undici's per-read body timeout, is still cut off once the request has taken the whole timeout.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient } from '../../../src/adapters/http.js';
import { AgentError, ErrorCodes } from '../../../src/errors.js';

const TIMEOUT_MS = 400;
let server: Server | undefined;
let http: HttpClient | undefined;
/** Bytes of body the trickling server had sent when the client hung up. */
let sent = 0;

afterEach(async () => {
  await http?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = http = undefined;
});

/** A server that declares 200 bytes and sends one every 50 ms (10 s in all). */
async function trickling(): Promise<string> {
  sent = 0;
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '200' });
    res.flushHeaders();
    const drip = setInterval(() => {
      res.write(' ');
      sent++;
    }, 50);
    res.on('close', () => clearInterval(drip));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/report`;
}

describe('createHttpClient deadline', () => {
  it.each(['getChunks', 'getText'] as const)('%s gives up on a trickling body after the timeout', async (how) => {
    const url = await trickling();
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    const started = Date.now();
    const request = how === 'getChunks' ? http.getChunks(url, undefined, () => undefined) : http.getText(url);
    const err: unknown = await request.then(
      () => new Error('answered'),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AgentError);
    expect((err as AgentError).code).toBe(ErrorCodes.HTTP_TIMEOUT);
    // Cut off by the deadline, long before the 10 s the body would take, while the body was coming.
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(sent).toBeGreaterThanOrEqual(3);
  });

  it('reads a prompt answer whole and leaves nothing pending', async () => {
    server = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    http = createHttpClient({ timeoutMs: TIMEOUT_MS, maxBytes: 65_536, connectionsPerOrigin: 1 });
    expect(await http.getText(url)).toBe('{"ok":true}');
    // Past the deadline of that request: nothing fires, the next request on the same client is fine.
    await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS + 100));
    const chunks: Uint8Array[] = [];
    await http.getChunks(url, undefined, (c) => chunks.push(c));
    expect(Buffer.concat(chunks).toString()).toBe('{"ok":true}');
  });
});
