// Child process of the benches: `count` fake peers on loopback, each its own listening socket on its own
// address (127.1.x.y, all on one port, the way Swarm tasks share the agent's port), serving a report of
// `tasks` tasks. Tells the parent its addresses over IPC, answers CPU-time questions, exits with the parent.
import { createServer, type Server } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildServer } from '../src/server.js';
import type { NodeReport } from '../src/core/types.js';
import { bodyBytes, nodeReport } from '../test/support/fake-peers.js';

export interface FarmOptions {
  count: number;
  tasks: number;
  serviceCount: number;
  port: number;
  token: string;
  /**
   * `static`: pre-encoded bytes from a bare node:http server; `agent`: the agent's own buildServer
   * (JSON.stringify per request), answering as an agent from before `known` (never the windows alone).
   */
  mode: 'static' | 'agent';
  /** server.keepAliveTimeout in ms; null keeps Node's default (5 s), which the agent's buildServer also keeps. */
  keepAliveMs: number | null;
}

export type FarmMessage =
  | { type: 'ready'; addresses: string[]; reportBytes: number; leanBytes: number; deltaBytes: number }
  /** `deltas`: answers so far that were the windows alone. */
  | { type: 'cpu'; userMs: number; systemMs: number; deltas: number };

/** 127.1.0.1 … 127.1.0.250, 127.1.1.1 …: every address routes to lo on Linux. */
export const farmHost = (i: number): string => `127.1.${Math.floor(i / 250)}.${(i % 250) + 1}`;

/**
 * What an agent answers `?lean=1` (src/core/report-for-peers.ts, leanReport), written out here so that
 * ab-poll-round.sh can build this harness over an older src/ that has no such function.
 */
const leanReport = (report: NodeReport, withEndpoints: boolean): NodeReport => ({
  ...report,
  tasks: report.tasks.map((t) => ({ ...t, counters: {}, rates: {} })),
  endpoints: withEndpoints ? report.endpoints : [],
});

/**
 * What an agent answers `?lean=1&known=…` (src/core/report-delta.ts), written out for the same reason: the
 * report with its tag, and the windows alone for an evaluator that already holds that tag. A farm peer's
 * tasks never change, so its tag never does.
 */
const WINDOW_SIGNALS = ['connections', 'requests', 'bytes'] as const;
const tagged = (report: NodeReport, tag: string) => ({ ...report, tag });
function windowsOnly(report: NodeReport, tag: string) {
  const { tasks, ...rest } = report;
  const windows = tasks.map((t) =>
    WINDOW_SIGNALS.flatMap((s) => {
      const w = t.window[s];
      return w ? [w.count, w.events, w.exposure] : [null, null, null];
    }),
  );
  return { ...rest, same: tag, windows };
}

/** Each peer answers as an agent does: its whole report, or only what judging reads when asked `?lean=1`. */
function peerServer(
  opts: FarmOptions,
  i: number,
  answered: { delta: number },
): { server: Server; bytes: number; leanBytes: number; deltaBytes: number } {
  const report = nodeReport({ node: i, tasks: opts.tasks, serviceCount: opts.serviceCount });
  const body = bodyBytes(report);
  const lean = bodyBytes(leanReport(report, false));
  const leanWithEndpoints = bodyBytes(leanReport(report, true));
  const tag = `farm${i}.1`;
  const leanTagged = bodyBytes(tagged(leanReport(report, false), tag));
  const delta = bodyBytes(windowsOnly(leanReport(report, false), tag));
  if (opts.mode === 'agent') {
    const server = buildServer({
      exposition: new Registry(),
      logger: pino({ level: 'silent' }),
      ready: () => true,
      peerToken: opts.token,
      report: (inbound: string[], asksLean?: boolean) =>
        Promise.resolve(asksLean ? leanReport(report, inbound.length > 0) : report),
      cluster: () => ({ status: 503, body: {} }),
    });
    return { server, bytes: body.length, leanBytes: lean.length, deltaBytes: 0 };
  }
  const wanted = `Bearer ${opts.token}`;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== wanted) {
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': 2 }).end('{}');
      return;
    }
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const known = query.get('known');
    let answer = query.get('lean') !== '1' ? body : query.get('inbound') ? leanWithEndpoints : lean;
    if (answer === lean && known !== null) {
      answer = known === tag ? delta : leanTagged;
      if (answer === delta) answered.delta++;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer);
  });
  return { server, bytes: body.length, leanBytes: lean.length, deltaBytes: delta.length };
}

async function main(): Promise<void> {
  const opts = JSON.parse(process.argv[2] ?? '') as FarmOptions;
  const addresses: string[] = [];
  let total = 0;
  let leanTotal = 0;
  let deltaTotal = 0;
  const answered = { delta: 0 };
  for (let i = 0; i < opts.count; i++) {
    const { server, bytes, leanBytes, deltaBytes } = peerServer(opts, i, answered);
    if (opts.keepAliveMs !== null) server.keepAliveTimeout = opts.keepAliveMs;
    const host = farmHost(i);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => resolve());
    });
    addresses.push(`${host}:${opts.port}`);
    total += bytes;
    leanTotal += leanBytes;
    deltaTotal += deltaBytes;
  }
  const send = (m: FarmMessage) => process.send!(m);
  send({
    type: 'ready',
    addresses,
    reportBytes: Math.round(total / opts.count),
    leanBytes: Math.round(leanTotal / opts.count),
    deltaBytes: Math.round(deltaTotal / opts.count),
  });
  process.on('message', (m) => {
    if (m === 'cpu') {
      const u = process.cpuUsage();
      send({ type: 'cpu', userMs: u.user / 1000, systemMs: u.system / 1000, deltas: answered.delta });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
