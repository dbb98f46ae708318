// No pile of sockets can stall the server: a cap on connections, slow-header clients closed within
// seconds, /healthz answering through 2,000 idle sockets and 200 slow-header clients.
import { Agent, request, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { buildServer, DEFAULT_MAX_CONNECTIONS, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/server.js';
import { serverDeps } from './support/server.js';

const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function start(maxConnections?: number): Promise<{ server: Server; port: number }> {
  const server = buildServer(serverDeps(maxConnections !== undefined ? { maxConnections } : {}));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
    sockets.push(s);
  });
}

const closed = (s: Socket) =>
  new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));
const connections = (server: Server) =>
  new Promise<number>((resolve, reject) => server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

function healthz(port: number, agent: Agent | false = false): Promise<{ status: number; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket! }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the server under a pile of sockets', () => {
  it('answers /healthz with 2,000 idle sockets and 200 slow-header clients open, and holds at most its cap', async () => {
    const { server, port } = await start();
    for (let i = 0; i < 2000; i += 100) await Promise.all(Array.from({ length: 100 }, () => open(port)));
    const slow = await Promise.all(Array.from({ length: 200 }, () => open(port)));
    const drip = setInterval(() => {
      for (const s of slow) if (!s.destroyed) s.write('X-Slow: 1\r\n');
    }, 500);
    for (const s of slow) s.write('GET /metrics HTTP/1.1\r\nHost: agent\r\n');
    try {
      expect((await healthz(port)).status).toBe(200);
      expect(await connections(server)).toBeLessThanOrEqual(DEFAULT_MAX_CONNECTIONS);
      // The slow clients still open are closed once their headers are overdue (Node's default: after 60 s or more).
      await Promise.race([
        Promise.all(slow.map(closed)),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('slow-header sockets still open')), HEADERS_TIMEOUT_MS + 5000),
        ),
      ]);
      expect((await healthz(port)).status).toBe(200);
    } finally {
      clearInterval(drip);
    }
  }, 30_000);

  it("closes a client that sends its body a byte at a time once the request is overdue (Node's default: 300 s)", async () => {
    const { port } = await start();
    const s = await open(port);
    s.write('POST /v1/report HTTP/1.1\r\nHost: agent\r\nContent-Length: 100000\r\n\r\n');
    const drip = setInterval(() => {
      if (!s.destroyed) s.write('x');
    }, 200);
    try {
      await Promise.race([
        closed(s),
        new Promise((_, reject) =>
          setTimeout(() => reject(new Error('slow-body socket still open')), REQUEST_TIMEOUT_MS + 5000),
        ),
      ]);
    } finally {
      clearInterval(drip);
    }
  }, 30_000);

  it("keeps a poller's keep-alive connection open across requests while under the cap", async () => {
    const { port } = await start(16);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await healthz(port, agent);
    await new Promise((r) => setTimeout(r, 200));
    const second = await healthz(port, agent);
    expect(second.socket).toBe(first.socket);
    agent.destroy();
  });

  it("keeps a poller's kept-alive connection through a flood of sockets that send nothing", async () => {
    const { port } = await start(16);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const first = await healthz(port, agent);
    for (let i = 0; i < 40; i++) await open(port);
    const second = await healthz(port, agent);
    expect(second.status).toBe(200);
    expect(second.socket).toBe(first.socket);
    agent.destroy();
  });

  it('closes the oldest connection that sent nothing, not a busy one, to make room past the cap', async () => {
    const { server, port } = await start(10);
    const idle = await Promise.all(Array.from({ length: 10 }, () => open(port)));
    expect((await healthz(port)).status).toBe(200);
    await closed(idle[0]!);
    expect(idle.slice(1).every((s) => !s.destroyed)).toBe(true);
    expect(await connections(server)).toBeLessThanOrEqual(10);
  });
});
