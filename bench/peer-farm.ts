// Child process of the benches: `count` fake peers on loopback, each its own listening socket on its own
// address (127.1.x.y, all on one port, the way Swarm tasks share the agent's port), serving a report of
// `tasks` tasks. Tells the parent its addresses over IPC, answers CPU-time questions, exits with the parent.
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildServer } from '../src/server.js';
import { bodyBytes, nodeReport } from '../test/support/fake-peers.js';

export interface FarmOptions {
  count: number;
  tasks: number;
  serviceCount: number;
  port: number;
  token: string;
  /** `static`: pre-encoded bytes from a bare node:http server; `agent`: the agent's own buildServer (JSON.stringify per request). */
  mode: 'static' | 'agent';
  /** server.keepAliveTimeout in ms; null keeps Node's default (5 s), which the agent's buildServer also keeps. */
  keepAliveMs: number | null;
}

export type FarmMessage =
  { type: 'ready'; addresses: string[]; reportBytes: number } | { type: 'cpu'; userMs: number; systemMs: number };

/** 127.1.0.1 … 127.1.0.250, 127.1.1.1 …: every address routes to lo on Linux. */
export const farmHost = (i: number): string => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

function peerServer(opts: FarmOptions, i: number): { server: Server; bytes: number } {
  const report = nodeReport({ node: i, tasks: opts.tasks, serviceCount: opts.serviceCount });
  const body = bodyBytes(report);
  if (opts.mode === 'agent') {
    const server = buildServer({
      exposition: new Registry(),
      logger: pino({ level: 'silent' }),
      ready: () => true,
      peerToken: opts.token,
      report: () => Promise.resolve(report),
      cluster: () => ({ status: 503, body: {} }),
    });
    return { server, bytes: body.length };
  }
  const wanted = `Bearer ${opts.token}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== wanted) {
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
  });
  return { server, bytes: body.length };
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '') as FarmOptions;
  const addresses: string[] = [];
  let total = 0;
  for (let i = 0; i < opts.count; i++) {
    const { server, bytes } = peerServer(opts, i);
    if (opts.keepAliveMs !== null) server.keepAliveTimeout = opts.keepAliveMs;
    const host = farmHost(i);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => resolve());
    });
    addresses.push(`${host}:${opts.port}`);
    total += bytes;
  }
  const send = (m: FarmMessage) => process.send!(m);
  send({ type: 'ready', addresses, reportBytes: Math.round(total / opts.count) });
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', userMs: u.user / 1000, systemMs: u.system / 1000 });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
