// Does the agent's HTTP server keep answering /healthz under abuse? Two cases, the server in a child
// process built exactly as src/agent/ builds it (buildServer, basic-auth users, default limits):
//   auth:    N connections send wrong passwords back to back for D seconds (from distinct loopback
//            addresses 127.0.1.x by default, so the per-client limiter does not shield the server;
//            --from=one sends them all from 127.0.0.1); /healthz is probed on a fresh connection every 20 ms.
//   sockets: 2,000 idle sockets (keep-alive after one request; --idle-kind=silent: never a byte) and 200 slow-header clients (a header line every 500 ms) are opened,
//            then /healthz is probed; reports the server's connection count and when the slow ones were closed.
// Usage: bash bench/run.sh server-abuse --case=auth --connections=100 --seconds=30
//        bash bench/run.sh server-abuse --case=sockets --idle=2000 --slow=200
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { buildServer } from '../src/server.js';
import { serverDeps } from '../test/unit/support/server.js';
import { flags, machineFacts, percentile } from './support/common.js';

const PASSWORD = 'the-right-password';

async function serve(): Promise<void> {
  // Cost 10, as `htpasswd -nbB` makes them.
  const server = buildServer(
    serverDeps({
      peerToken: 'peer-token',
      readAuth: { token: null, users: { prometheus: bcrypt.hashSync(PASSWORD, 10) } },
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send!({ port: (server.address() as AddressInfo).port });
  process.on('message', (m: { ask?: string }) => {
    if (m.ask === 'connections') server.getConnections((_e, n) => process.send!({ connections: n }));
  });
}

function get(
  port: number,
  path: string,
  opts: { authorization?: string; from?: string; timeoutMs?: number; agent?: Agent } = {},
): Promise<{ status: number; ms: number }> {
  const start = performance.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent: opts.agent ?? false,
        localAddress: opts.from,
        headers: opts.authorization ? { authorization: opts.authorization } : {},
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - start }));
      },
    );
    req.setTimeout(opts.timeoutMs ?? 10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, ms: performance.now() - start }));
    req.end();
  });
}

async function probe(port: number, untilMs: number, everyMs: number): Promise<number[]> {
  const latencies: number[] = [];
  const failures: number[] = [];
  while (Date.now() < untilMs) {
    const r = await get(port, '/healthz');
    (r.status === 200 ? latencies : failures).push(r.ms);
    await new Promise((res) => setTimeout(res, everyMs));
  }
  if (failures.length > 0) console.log(`  /healthz failures: ${failures.length}`);
  return latencies;
}

const stats = (xs: number[]) =>
  `n=${xs.length} p50=${percentile(xs, 50).toFixed(1)} ms p99=${percentile(xs, 99).toFixed(1)} ms max=${Math.max(...xs).toFixed(1)} ms`;

async function authCase(port: number, connections: number, seconds: number, fromOne: boolean): Promise<void> {
  const rightPassword = `Basic ${Buffer.from(`prometheus:${PASSWORD}`).toString('base64')}`;
  // A scraper that got in before the attack (its credentials are remembered).
  console.log(
    `  right password before the attack, from 127.0.0.1: HTTP ${(await get(port, '/metrics', { authorization: rightPassword })).status}`,
  );
  const rest = await probe(port, Date.now() + 3000, 20);
  console.log(`  /healthz at rest: ${stats(rest)}`);
  const until = Date.now() + seconds * 1000;
  const statuses = new Map<number, number>();
  const wrong = `Basic ${Buffer.from('prometheus:wrong-password').toString('base64')}`;
  const attackers = Array.from({ length: connections }, async (_, i) => {
    const from = fromOne ? '127.0.0.1' : `127.0.1.${i + 1}`;
    // One kept-alive connection per attacker, requests back to back on it.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    while (Date.now() < until) {
      const r = await get(port, '/metrics', { authorization: wrong, from, agent });
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }
    agent.destroy();
  });
  const underAttack = await probe(port, until, 20);
  await Promise.all(attackers);
  const answered = [...statuses.entries()]
    .sort()
    .map(([s, n]) => `${s}: ${n}`)
    .join(', ');
  console.log(
    `  /healthz while ${connections} connections (${fromOne ? 'one address' : 'distinct addresses'}) send wrong passwords for ${seconds} s: ${stats(underAttack)}`,
  );
  console.log(
    `  attack answers: ${answered} (${((statuses.get(401) ?? 0) / seconds).toFixed(1)} bcrypt-checked 401/s)`,
  );
  const right = await get(port, '/metrics', { authorization: rightPassword });
  console.log(`  right password right after the attack, from 127.0.0.1: HTTP ${right.status}`);
}

/** A socket that connected (`silent`), or that also completed one request and stays open idle (`keepalive`). */
function open(port: number, kind: 'silent' | 'keepalive' = 'silent'): Promise<Socket> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      if (kind === 'silent') return resolve(s);
      s.write('GET /healthz HTTP/1.1\r\nHost: agent\r\n\r\n');
      s.once('data', () => resolve(s));
    });
    s.on('error', () => resolve(s));
    s.on('close', () => resolve(s));
  });
}

async function socketsCase(
  child: ChildProcess,
  port: number,
  idle: number,
  slow: number,
  kind: 'silent' | 'keepalive',
): Promise<void> {
  const connectionsNow = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m: { connections: number }) => resolve(m.connections));
      child.send({ ask: 'connections' });
    });
  const idleSockets: Socket[] = [];
  for (let i = 0; i < idle; i += 100)
    idleSockets.push(...(await Promise.all(Array.from({ length: Math.min(100, idle - i) }, () => open(port, kind)))));
  const start = Date.now();
  const slowSockets = await Promise.all(Array.from({ length: slow }, () => open(port)));
  const closedAt: number[] = [];
  for (const s of slowSockets) {
    s.write('GET /metrics HTTP/1.1\r\nHost: agent\r\n');
    s.on('close', () => closedAt.push(Date.now() - start));
  }
  const drip = setInterval(() => {
    for (const s of slowSockets) if (!s.destroyed) s.write('X-Slow: 1\r\n');
  }, 500);
  console.log(
    `  opened ${idle} ${kind} idle sockets and ${slow} slow-header clients; server holds ${await connectionsNow()} connections`,
  );
  const latencies = await probe(port, Date.now() + 10_000, 20);
  console.log(`  /healthz (fresh connection each, every 20 ms for 10 s): ${stats(latencies)}`);
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(drip);
  const stillOpen = idleSockets.filter((s) => !s.destroyed).length;
  console.log(
    `  slow-header clients closed by the server: ${closedAt.length}/${slow}, last after ${closedAt.length ? Math.max(...closedAt) : NaN} ms; idle sockets still open: ${stillOpen}`,
  );
  for (const s of [...idleSockets, ...slowSockets]) s.destroy();
}

async function main(): Promise<void> {
  const f = flags(process.argv.slice(2));
  if (f.has('serve')) return serve();
  for (const line of machineFacts()) console.log(line);
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => child.once('message', (m: { port: number }) => resolve(m.port)));
  const which = f.get('case') ?? 'auth';
  try {
    if (which === 'auth') {
      console.log(`case auth (server pid ${child.pid}, port ${port})`);
      await authCase(
        port,
        Number(f.get('connections') ?? 100),
        Number(f.get('seconds') ?? 30),
        f.get('from') === 'one',
      );
    } else {
      console.log(`case sockets (server pid ${child.pid}, port ${port})`);
      await socketsCase(
        child,
        port,
        Number(f.get('idle') ?? 2000),
        Number(f.get('slow') ?? 200),
        f.get('idle-kind') === 'silent' ? 'silent' : 'keepalive',
      );
    }
  } finally {
    child.kill();
  }
}

await main();
