// The request counter is read from the task's own address only: the label chooses port, path and format, never a host.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../src/adapters/http.js';
import { readServiceLabels } from '../../../src/core/labels.js';
import { createHttpRequestsSampler } from '../../../src/samplers/http-requests.js';
import { taskRef } from '../support/factories.js';

let server: Server;
let port = 0;
const hits: string[] = [];

beforeAll(async () => {
  // Listens on 127.0.0.1 (the task's address in these tests); 127.0.0.2 plays another host it must never reach.
  server = createServer((req, res) => {
    hits.push(`${req.socket.localAddress} ${req.url}`);
    res.end('# TYPE http_requests_total counter\nhttp_requests_total 42\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('swarm-balance.requests.url', () => {
  it.each([
    ['another host', 'http://127.0.0.2:{port}/metrics'],
    ['a host with the address as user name', 'http://{ip}@127.0.0.2:{port}/metrics'],
    ['a host that starts with the address', 'http://{ip}.evil.example:{port}/metrics'],
    ['credentials before the address', 'http://{ip}:{port}@127.0.0.2:{port}/metrics'],
    ['another scheme', 'file:///{ip}/etc/passwd'],
    ['no address at all', '/metrics'],
  ])('is refused when it names %s, and nothing is fetched', async (_what, template) => {
    hits.length = 0;
    const label = template.replaceAll('{port}', String(port));
    const labels = readServiceLabels({ 'swarm-balance.requests.url': label });
    expect(labels.requestsUrl).toBeNull();
    expect(labels.problems.join(' ')).toMatch(/swarm-balance.requests.url is refused/);
    expect(labels.problems.join(' ')).not.toContain('127.0.0.2');
    const sampler = createHttpRequestsSampler(
      createHttpClient({ timeoutMs: 1000, maxBytes: 65536, connectionsPerOrigin: 1 }),
      2,
    );
    const task = taskRef({ networks: { shop_default: '127.0.0.1' }, labels: { 'swarm-balance.requests.url': label } });
    const out = await sampler.sample([task]);
    await sampler.close?.();
    expect(out.counters.size).toBe(0);
    expect(hits).toEqual([]);
  });

  it.each([
    ['a port and path', 'http://{ip}:{port}/metrics'],
    ['a query', 'http://{ip}:{port}/stats?format=prometheus'],
  ])("is read from the task's own address when it chooses %s", async (_what, template) => {
    hits.length = 0;
    const label = template.replaceAll('{port}', String(port));
    expect(readServiceLabels({ 'swarm-balance.requests.url': label }).requestsUrl).toBe(label);
    const sampler = createHttpRequestsSampler(
      createHttpClient({ timeoutMs: 1000, maxBytes: 65536, connectionsPerOrigin: 1 }),
      2,
    );
    const out = await sampler.sample([
      taskRef({ networks: { shop_default: '127.0.0.1' }, labels: { 'swarm-balance.requests.url': label } }),
    ]);
    await sampler.close?.();
    expect(out.counters.get('task1')?.requests).toBe(42);
    expect(hits).toHaveLength(1);
    expect(hits[0]).toMatch(/^(::ffff:)?127\.0\.0\.1 \//);
  });
});
