// The HTTP server, built apart from listen() so tests can mount it on any port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { createAuthorizer, type AuthRules } from './auth.js';
import type { MetricsExposition } from './metrics.js';
import type { Logger } from 'pino';

export interface ServerDeps {
  /** /metrics: a prom-client Registry, or the agent's exposition around one. */
  exposition: MetricsExposition;
  logger: Logger;
  ready(): boolean;
  /** `inbound`: task ids whose inbound connections the caller wants listed. */
  report(inbound: string[]): Promise<unknown>;
  cluster(): { status: number; body: unknown };
  peerToken: string | null;
  /** Who may read /metrics and /v1/cluster; open when neither a token nor users are set. */
  readAuth?: AuthRules;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: string; key: string };
  /** How long an idle poller connection stays open (default 65 s). */
  keepAliveMs?: number;
}

export function buildServer(deps: ServerDeps): Server {
  const gates: Gates = {
    peer: createAuthorizer({ token: deps.peerToken, users: null }),
    read: createAuthorizer(deps.readAuth ?? { token: null, users: null }),
    readChallenge: deps.readAuth?.users && Object.keys(deps.readAuth.users).length > 0 ? 'Basic realm="swarm-balance"' : 'Bearer',
  };
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(deps, gates, req, res).catch((err: unknown) => {
      deps.logger.error({ err, path: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  };
  const server: Server = deps.tls ? createTlsServer({ cert: deps.tls.cert, key: deps.tls.key }, listener) : createServer(listener);
  // Pollers come back every interval: keep their connections open across rounds (Node's 5 s default
  // would close them just before the next round at the default interval).
  server.keepAliveTimeout = deps.keepAliveMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1000;
  return server;
}

interface Gates {
  peer: (header: string | undefined) => boolean;
  read: (header: string | undefined) => boolean;
  readChallenge: string;
}

async function handle(deps: ServerDeps, gates: Gates, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const path = url.pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
  if ((path === '/metrics' || path === '/v1/cluster') && !gates.read(req.headers.authorization)) {
    return send(res, 401, 'text/plain', 'missing or wrong credentials\n', { 'www-authenticate': gates.readChallenge });
  }
  switch (path) {
    case '/metrics':
      return send(res, 200, deps.exposition.contentType, await deps.exposition.metrics());
    case '/healthz':
      return send(res, 200, 'text/plain', 'ok\n');
    case '/readyz':
      return deps.ready() ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', 'not ready: no complete sample yet\n');
    case '/v1/report':
      if (!gates.peer(req.headers.authorization)) return send(res, 401, 'application/json', JSON.stringify({ error: 'missing or wrong bearer token' }), { 'www-authenticate': 'Bearer' });
      return send(res, 200, 'application/json', JSON.stringify(await deps.report(
        (url.searchParams.get('inbound') ?? '').split(',').filter(Boolean).slice(0, 1000),
      )));
    case '/v1/cluster': {
      const { status, body } = deps.cluster();
      return send(res, status, 'application/json', JSON.stringify(body));
    }
    default:
      return send(res, 404, 'text/plain', 'not found; try /metrics, /healthz, /readyz, /v1/report, /v1/cluster\n');
  }
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
