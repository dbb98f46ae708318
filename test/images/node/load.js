/* global process, setTimeout, setInterval, clearInterval */
// load: a load generator for swarm-balance scenarios. Options as --flags or LOAD_* env (flags win).
//
//   --mode pin          C keep-alive connections to one target, R requests spread over them
//                       (http.Agent keepAlive, maxSockets=C, fifo: requests rotate over the sockets)
//   --mode connections  one short-lived connection per request (Connection: close) to one target
//   --mode spread       before EVERY connection resolve tasks.<service> with dns.resolve4 and
//                       round-robin over all addresses; one request per connection
//
//   --target HOST:PORT  pin/connections (a name is resolved once, at start)  LOAD_TARGET
//   --service NAME      spread: resolves tasks.NAME (or --dns-name FULLNAME)  LOAD_SERVICE, LOAD_DNS_NAME
//   --port N            spread: port (8080)                                  LOAD_PORT
//   --connections C     pin: keep-alive connections (4)                      LOAD_CONNECTIONS
//   --requests N        requests to send (alias --count; default 100)        LOAD_REQUESTS, LOAD_COUNT
//   --rate N            requests per second (0 = as fast as --concurrency allows)  LOAD_RATE
//   --duration S        stop after S seconds instead of after N requests     LOAD_DURATION
//   --forever           run until SIGTERM/SIGINT                             LOAD_FOREVER=1
//   --concurrency N     in-flight limit for connections/spread (16; pin uses C)  LOAD_CONCURRENCY
//   --path P            request path (/)                                     LOAD_PATH
//   --timeout MS        per-request timeout (5000)                           LOAD_TIMEOUT
//   --progress S        every S seconds print a progress JSON line to stderr LOAD_PROGRESS
//   --start-at MS       begin at this time (Unix ms), so clients started apart send together  LOAD_START_AT
//
// At the end prints ONE JSON line to stdout: {mode, requests, ok, errors, connections,
// byAddress: {ip: requests}, connectionsByAddress, statusCodes, errorSamples, durationMs, ...}
// and exits 0 (2 on a usage error).
import http from 'node:http';
import dns from 'node:dns/promises';
import net from 'node:net';

const BOOL = new Set(['forever']);
function options(argv, env) {
  const o = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('LOAD_')) o[k.slice(5).toLowerCase().replace(/_/g, '-')] = v;
  }
  for (let i = 0; i < argv.length; i += 1) {
    const a = argv[i];
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split(/=(.*)/s);
    if (BOOL.has(k)) o[k] = inline ?? '1';
    else if (inline !== undefined) o[k] = inline;
    else if (i + 1 < argv.length) o[k] = argv[(i += 1)];
    else usage(`--${k} needs a value`);
  }
  if (o.count !== undefined && o.requests === undefined) o.requests = o.count;
  return o;
}
function usage(msg) {
  process.stderr.write(`load.js: ${msg}\n`);
  process.exit(2);
}
const num = (v, d) =>
  v === undefined || v === '' ? d : Number.isFinite(Number(v)) ? Number(v) : usage(`not a number: ${v}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const o = options(process.argv.slice(2), process.env);
const mode = o.mode || 'pin';
if (!['pin', 'connections', 'spread'].includes(mode)) usage(`unknown mode ${mode}`);
const forever = ['1', 'true', 'yes'].includes(String(o.forever ?? '').toLowerCase());
const duration = num(o.duration, 0);
const total = forever || duration > 0 ? (o.requests !== undefined ? num(o.requests) : Infinity) : num(o.requests, 100);
const rate = num(o.rate, 0);
const conns = num(o.connections, 4);
const concurrency = mode === 'pin' ? conns : num(o.concurrency, 16);
const path = o.path || '/';
const timeoutMs = num(o.timeout, 5000);
const progressS = num(o.progress, 0);

async function resolveTarget() {
  if (!o.target) usage(`--target HOST:PORT is required for mode ${mode}`);
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(o.target);
  if (!m) usage(`bad --target ${o.target}`);
  let host = m[1];
  if (!net.isIP(host)) host = (await dns.lookup(host, { family: 4 })).address; // resolved once
  return { host, port: Number(m[2]) };
}

const stats = {
  mode,
  requests: 0,
  ok: 0,
  errors: 0,
  connections: 0,
  byAddress: {},
  connectionsByAddress: {},
  statusCodes: {},
  errorSamples: [],
  dnsErrors: 0,
};
const seen = new WeakSet();
const bump = (obj, key) => {
  obj[key] = (obj[key] || 0) + 1;
};

function request(host, port, agent, close) {
  return new Promise((resolve) => {
    stats.requests += 1;
    const headers = close ? { connection: 'close' } : {};
    const req = http.request({ host, port, path, agent, headers, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => {
        bump(stats.statusCodes, res.statusCode);
        if (res.statusCode < 400) stats.ok += 1;
        else stats.errors += 1;
        bump(stats.byAddress, host);
        resolve();
      });
      res.on('error', fail);
    });
    req.on('socket', (s) => {
      if (seen.has(s)) return;
      seen.add(s);
      stats.connections += 1;
      bump(stats.connectionsByAddress, host);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end();
    function fail(err) {
      stats.errors += 1;
      if (stats.errorSamples.length < 5) stats.errorSamples.push(`${host}:${port} ${err.code || err.message}`);
      resolve();
    }
  });
}

let next; // () => Promise<void>, one request
let agent;
if (mode === 'pin') {
  const t = await resolveTarget();
  Object.assign(stats, { target: `${t.host}:${t.port}`, keepAliveConnections: conns });
  agent = new http.Agent({ keepAlive: true, maxSockets: conns, scheduling: 'fifo' });
  next = () => request(t.host, t.port, agent, false);
} else if (mode === 'connections') {
  const t = await resolveTarget();
  stats.target = `${t.host}:${t.port}`;
  next = () => request(t.host, t.port, false, true);
} else {
  const name =
    o['dns-name'] || (o.service ? `tasks.${o.service}` : usage('--service NAME is required for mode spread'));
  const port = num(o.port, 8080);
  Object.assign(stats, { dnsName: name, port });
  let rr = 0;
  next = async () => {
    let addrs;
    try {
      addrs = (await dns.resolve4(name)).sort();
    } catch (err) {
      stats.requests += 1;
      stats.errors += 1;
      stats.dnsErrors += 1;
      if (stats.errorSamples.length < 5) stats.errorSamples.push(`resolve4 ${name}: ${err.code || err.message}`);
      return;
    }
    const host = addrs[rr % addrs.length];
    rr += 1;
    await request(host, port, false, true);
  };
}

let stopping = false;
const stop = () => {
  stopping = true;
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const startAt = num(o['start-at'], 0);
if (startAt > Date.now()) await sleep(startAt - Date.now());
const t0 = Date.now();
const progress =
  progressS > 0
    ? setInterval(
        () => process.stderr.write(`${JSON.stringify({ progress: true, elapsedMs: Date.now() - t0, ...stats })}\n`),
        progressS * 1000,
      )
    : undefined;
const inflight = new Set();
let issued = 0;
// pin: open all C connections first (C concurrent requests), then pace; fifo scheduling then
// rotates requests over the C sockets, so every connection stays in use and none is idle-closed.
const burst = mode === 'pin' ? Math.min(conns, total) : 0;
while (!stopping && issued < total && !(duration > 0 && !forever && Date.now() - t0 >= duration * 1000)) {
  if (rate > 0 && issued >= burst) {
    const due = t0 + ((issued - burst) * 1000) / rate;
    const wait = due - Date.now();
    if (wait > 0) {
      await sleep(Math.min(wait, 250));
      continue;
    }
  }
  if (inflight.size >= concurrency) {
    await Promise.race(inflight);
    continue;
  }
  const p = next().finally(() => inflight.delete(p));
  inflight.add(p);
  issued += 1;
}
await Promise.all(inflight);
if (progress) clearInterval(progress);
agent?.destroy();
stats.durationMs = Date.now() - t0;
if (stats.errorSamples.length === 0) delete stats.errorSamples;
process.stdout.write(`${JSON.stringify(stats)}\n`);
process.exit(0);
