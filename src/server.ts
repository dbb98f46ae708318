// The HTTP server, built apart from listen() so tests can mount it on any port.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type * as Http from 'node:http';
import type * as Https from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { createAuthorizer, usersMap, type Authorizer, type AuthRules, type AuthVerdict } from './auth.js';
import { acceptsGzip } from './core/accept-encoding.js';
import type { ClusterAnswer } from './core/cluster-view.js';
import type { MetricsExposition } from './metrics.js';
import type { Logger } from 'pino';

const gzipAsync = promisify(gzipCallback);

// Required, not imported: an ES import of node:http reads every export, and its lazy ones load node's
// bundled undici and node:http2 (~12 MB of RSS); node:https only when TLS is on.
const requireBuiltin = createRequire(import.meta.url);
const { createServer } = requireBuiltin('node:http') as typeof Http;
const https = () => requireBuiltin('node:https') as typeof Https;

export interface ServerDeps {
  /** /metrics: a prom-client Registry, or the agent's exposition around one. */
  exposition: MetricsExposition;
  logger: Logger;
  ready(): boolean;
  /**
   * `inbound`: task ids whose inbound connections the caller wants listed; `lean`: the caller asked for
   * only what judging reads (`?lean=1`, see core/report-for-peers.ts); `known`: the tag of the caller's
   * last report from this agent (`?known=`, core/report-delta.ts), null when it did not ask.
   */
  report(inbound: string[], lean: boolean, known: string | null): Promise<unknown>;
  /**
   * /v1/cluster: the agent answers with a ClusterAnswer (core/cluster-view.ts); the server only serialises
   * it, so its own tests may hand it any body.
   */
  cluster(): ClusterAnswer | { status: number; body: unknown };
  peerToken: string | null;
  /** Who may read /metrics and /v1/cluster; open when neither a token nor users are set. */
  readAuth?: AuthRules;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string; key: string };
  /** How long an idle poller connection stays open (default 65 s). */
  keepAliveMs?: number;
  /** Connections held at once; past it the longest-idle one is closed (default 1024). */
  maxConnections?: number;
}

/** A request's headers must arrive within this time, the whole request within REQUEST_TIMEOUT_MS. */
export const HEADERS_TIMEOUT_MS = 5000;
export const REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;

export function buildServer(deps: ServerDeps): Server {
  const gates: Gates = {
    peer: createAuthorizer({ token: deps.peerToken, users: null }),
    read: createAuthorizer(deps.readAuth ?? { token: null, users: null }),
    readChallenge: usersMap(deps.readAuth?.users ?? null).size > 0 ? 'Basic realm="swarm-balance"' : 'Bearer',
    tooMany: tarpit(),
  };
  const logFailure = boundedLog(deps.logger, 10, 60_000);
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(deps, gates, req, res).catch((err: unknown) => {
      logFailure({ err, path: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  };
  // The connections checker enforces headersTimeout/requestTimeout; its 30 s default would let slow
  // clients hold a socket for up to 30 s past the limit.
  const options = {
    connectionsCheckingInterval: 1000,
    headersTimeout: HEADERS_TIMEOUT_MS,
    requestTimeout: REQUEST_TIMEOUT_MS,
  };
  const server: Server = deps.tls
    ? https().createServer(
        { ...options, cert: deps.tls.cert, key: deps.tls.key, handshakeTimeout: HEADERS_TIMEOUT_MS },
        listener,
      )
    : createServer(options, listener);
  // Pollers come back every interval: keep their connections open across rounds (Node's 5 s default
  // would close them just before the next round at the default interval).
  server.keepAliveTimeout = deps.keepAliveMs ?? 65_000;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  capConnections(server, deps.maxConnections ?? DEFAULT_MAX_CONNECTIONS, Boolean(deps.tls));
  server.on('close', () => void Promise.all([gates.peer.close(), gates.read.close()]));
  return server;
}

/**
 * Holds at most `cap` connections. A new one past the cap closes, first, the oldest connection that
 * never completed a request (a silent or slow-header one), else the least recently used keep-alive
 * connection with no request in flight; when every connection is busy, the new one is closed. So a
 * flood of sockets that send nothing cannot push out the pollers' reused connections.
 */
function capConnections(server: Server, cap: number, tls: boolean): void {
  const fresh = new Set<Socket>();
  /** Connections that carried a request, least recently active first. */
  const used = new Map<Socket, { inFlight: number }>();
  // A hard stop above the cap for what is not tracked yet (TLS handshakes).
  server.maxConnections = cap + 64;
  server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (fresh.size + used.size >= cap) {
      const victim = fresh.values().next().value ?? [...used].find(([, s]) => s.inFlight === 0)?.[0];
      if (!victim) return void socket.destroy();
      fresh.delete(victim);
      used.delete(victim);
      victim.destroy();
    }
    fresh.add(socket);
    socket.once('close', () => {
      fresh.delete(socket);
      used.delete(socket);
    });
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    if (!fresh.delete(socket) && !used.has(socket)) return;
    const state = used.get(socket) ?? { inFlight: 0 };
    state.inFlight++;
    used.delete(socket);
    used.set(socket, state);
    res.once('close', () => {
      state.inFlight--;
      // Move to the back: most recently active.
      if (used.delete(socket) && !socket.destroyed) used.set(socket, state);
    });
  });
}

/** Logs at most `max` lines per `periodMs`, then one line saying how many were left out. */
function boundedLog(logger: Logger, max: number, periodMs: number): (fields: object, message: string) => void {
  let windowStart = 0;
  let count = 0;
  let dropped = 0;
  return (fields, message) => {
    const now = Date.now();
    if (now - windowStart >= periodMs) {
      if (dropped > 0) logger.error({ dropped, periodMs }, `${message}: ${dropped} more like this left out of the log`);
      windowStart = now;
      count = 0;
      dropped = 0;
    }
    if (count++ < max) logger.error(fields, message);
    else dropped++;
  };
}

interface Gates {
  /** Answers 429 to a turned-away client (after a wait; see tarpit()). */
  tooMany(res: ServerResponse, type: string, body: string): void;
  peer: Authorizer;
  read: Authorizer;
  readChallenge: string;
}

async function handle(deps: ServerDeps, gates: Gates, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const path = url.pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
  const client = req.socket.remoteAddress ?? 'unknown';
  if (path === '/metrics' || path === '/v1/cluster') {
    const verdict = await gates.read.check(req.headers.authorization, client);
    if (verdict === 'limited')
      return gates.tooMany(res, 'text/plain', 'too many failed credential checks; try again later\n');
    if (verdict !== 'ok')
      return send(res, 401, 'text/plain', 'missing or wrong credentials\n', {
        'www-authenticate': gates.readChallenge,
      });
  }
  switch (path) {
    case '/metrics':
      return sendMetrics(deps.exposition, req, res);
    case '/healthz':
      return send(res, 200, 'text/plain', 'ok\n');
    case '/readyz':
      return deps.ready()
        ? send(res, 200, 'text/plain', 'ready\n')
        : send(res, 503, 'text/plain', 'not ready: no complete sample yet\n');
    case '/v1/report': {
      const verdict: AuthVerdict = await gates.peer.check(req.headers.authorization, client);
      if (verdict === 'limited')
        return gates.tooMany(
          res,
          'application/json',
          JSON.stringify({ error: 'too many failed credential checks; try again later' }),
        );
      if (verdict !== 'ok')
        return send(res, 401, 'application/json', JSON.stringify({ error: 'missing or wrong bearer token' }), {
          'www-authenticate': 'Bearer',
        });
      return send(
        res,
        200,
        'application/json',
        JSON.stringify(
          await deps.report(
            (url.searchParams.get('inbound') ?? '').split(',').filter(Boolean).slice(0, 1000),
            url.searchParams.get('lean') === '1',
            url.searchParams.get('known'),
          ),
        ),
      );
    }
    case '/v1/cluster': {
      const { status, body } = deps.cluster();
      return send(res, status, 'application/json', JSON.stringify(body));
    }
    default:
      return send(res, 404, 'text/plain', 'not found; try /metrics, /healthz, /readyz, /v1/report, /v1/cluster\n');
  }
}

/**
 * A turned-away client waits a second for its 429: an attacker on kept-alive connections then sends
 * about one request per connection per second instead of thousands, which would hold the event loop
 * as surely as bcrypt did. Past TARPIT_MAX waiting answers, the 429 goes out at once.
 */
const TARPIT_MS = 1000;
const TARPIT_MAX = 256;

function tarpit(): Gates['tooMany'] {
  let waiting = 0;
  return (res, type, body) => {
    const answer = () => {
      if (!res.destroyed && !res.headersSent) send(res, 429, type, body, { 'retry-after': '10' });
    };
    if (waiting >= TARPIT_MAX) return answer();
    waiting++;
    setTimeout(() => {
      waiting--;
      answer();
    }, TARPIT_MS).unref();
  };
}

/** /metrics as bytes, gzipped when the client asks (Prometheus always does). */
async function sendMetrics(exposition: MetricsExposition, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const gzip = acceptsGzip(req.headers['accept-encoding']);
  const parts = exposition.body
    ? await exposition.body(gzip)
    : [gzip ? await gzipAsync(await exposition.metrics()) : Buffer.from(await exposition.metrics())];
  const length = parts.reduce((n, p) => n + p.length, 0);
  res.writeHead(200, {
    'content-type': exposition.contentType,
    'content-length': length,
    vary: 'accept-encoding',
    ...(gzip ? { 'content-encoding': 'gzip' } : {}),
  });
  if (req.method === 'HEAD') return void res.end();
  // One writev for the headers and every part: end() uncorks.
  res.cork();
  for (const part of parts.slice(0, -1)) res.write(part);
  res.end(parts.at(-1));
}

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
