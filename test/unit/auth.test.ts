// Basic auth under attack: bcrypt off the main thread, failures rate-limited per client, unknown
// users checked like known ones, prototype-key names harmless, repeated errors logged at a bounded rate.
import bcrypt from 'bcryptjs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, type ServerDeps } from '../../src/server.js';
import { serverDeps } from './support/server.js';

const PASSWORD = 'right-password';
// Cost 12: one check takes a few hundred ms, long enough that the order of answers shows where it ran.
const HASH = bcrypt.hashSync(PASSWORD, 12);
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function start(over: Partial<ServerDeps> = {}): Promise<{ port: number; logged: () => string }> {
  let logged = '';
  const server = buildServer(
    serverDeps({
      logger: pino(
        { level: 'info' },
        new Writable({
          write(c: Buffer, _e, cb) {
            logged += c.toString();
            cb();
          },
        }),
      ),
      peerToken: 'peer-token',
      readAuth: { token: null, users: { admin: HASH } },
      ...over,
    }),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, logged: () => logged };
}

/** One GET on a fresh connection, from `from` (any 127.0.0.0/8 address is this host). */
function get(
  port: number,
  path: string,
  opts: { user?: string; password?: string; from?: string } = {},
): Promise<{ status: number; body: string }> {
  const headers: Record<string, string> =
    opts.user !== undefined
      ? { authorization: `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}` }
      : {};
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers, agent: false, localAddress: opts.from ?? '127.0.0.1' },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('basic auth', () => {
  it('answers /healthz while a wrong password is being checked (bcrypt runs off the main thread)', async () => {
    const { port } = await start();
    const order: string[] = [];
    const attack = get(port, '/metrics', { user: 'admin', password: 'wrong' }).then((r) =>
      order.push(`metrics ${r.status}`),
    );
    await new Promise((r) => setTimeout(r, 30));
    const health = get(port, '/healthz').then((r) => order.push(`healthz ${r.status}`));
    await Promise.all([attack, health]);
    expect(order).toEqual(['healthz 200', 'metrics 401']);
  });

  it('accepts the right password, and then again from the cache', async () => {
    const { port } = await start();
    expect((await get(port, '/metrics', { user: 'admin', password: PASSWORD })).status).toBe(200);
    expect((await get(port, '/metrics', { user: 'admin', password: PASSWORD })).status).toBe(200);
  });

  it('turns a client away with 429 after a burst of failures, while other clients and the right credentials still get in', async () => {
    const { port } = await start();
    expect((await get(port, '/metrics', { user: 'admin', password: PASSWORD, from: '127.0.0.3' })).status).toBe(200);
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++)
      statuses.push((await get(port, '/metrics', { user: 'admin', password: `wrong${i}`, from: '127.0.0.3' })).status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    expect(statuses.slice(10)).toEqual([429, 429]);
    // The 429 is held back a second, so a client cannot turn the refusals into a flood of its own.
    const started = Date.now();
    expect((await get(port, '/metrics', { user: 'admin', password: 'wrong', from: '127.0.0.3' })).status).toBe(429);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect((await get(port, '/metrics', { user: 'admin', password: 'wrong', from: '127.0.0.4' })).status).toBe(401);
    expect((await get(port, '/metrics', { user: 'admin', password: PASSWORD, from: '127.0.0.3' })).status).toBe(200);
  }, 30_000);

  it('checks an unknown user against a real hash, as long as a known one (it takes a place in the check queue)', async () => {
    const { port } = await start();
    // 16 checks may wait at once: 16 unknown users from 16 clients fill the queue, so the 17th check is turned away.
    const unknown = Array.from({ length: 16 }, (_, i) =>
      get(port, '/metrics', { user: `nobody${i}`, password: 'x', from: `127.0.1.${i + 1}` }),
    );
    await new Promise((r) => setTimeout(r, 50));
    const seventeenth = await get(port, '/metrics', { user: 'admin', password: 'wrong', from: '127.0.2.1' });
    expect(seventeenth.status).toBe(429);
    expect((await Promise.all(unknown)).map((r) => r.status)).toEqual(Array(16).fill(401));
  });

  it('keeps answering 401 to wrong bearer tokens (cheap to check, too long to guess): a peer with a stale token is told so, not throttled', async () => {
    const { port } = await start();
    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      statuses.push(
        await new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path: '/v1/report',
              agent: false,
              headers: { authorization: 'Bearer stale-token' },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode ?? 0);
            },
          );
          req.on('error', reject);
          req.end();
        }),
      );
    }
    expect(statuses).toEqual(Array(15).fill(401));
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'answers 401 (not 500) to the user name %s',
    async (user) => {
      const { port, logged } = await start();
      const res = await get(port, '/metrics', { user, password: 'x' });
      expect(res.status).toBe(401);
      expect(logged()).not.toContain('request failed');
    },
  );
});

describe('repeated request errors', () => {
  it('are logged at a bounded rate', async () => {
    const { port, logged } = await start({
      report: async () => {
        throw new Error('report exploded');
      },
      peerToken: null,
    });
    for (let i = 0; i < 40; i++) expect((await get(port, '/v1/report')).status).toBe(500);
    const lines = logged()
      .split('\n')
      .filter((l) => l.includes('report exploded'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(10);
  });
});
