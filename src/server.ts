// The HTTP server, built apart from listen() so tests can mount it on any port.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { Registry } from 'prom-client';
import type { Logger } from 'pino';

export interface ServerDeps {
  registry: Registry;
  logger: Logger;
  ready(): boolean;
  /** `inbound`: task ids whose inbound connections the caller wants listed. */
  report(inbound: string[]): Promise<unknown>;
  cluster(): { status: number; body: unknown };
  peerToken: string | null;
  /** How long an idle poller connection stays open (default 65 s). */
  keepAliveMs?: number;
}

export function buildServer(deps: ServerDeps): Server {
  const server = createServer((req, res) => {
    handle(deps, req, res).catch((err: unknown) => {
      deps.logger.error({ err, path: req.url }, 'request failed');
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n');
      else res.destroy();
    });
  });
  // Pollers come back every interval: keep their connections open across rounds (Node's 5 s default
  // would close them just before the next round at the default interval).
  server.keepAliveTimeout = deps.keepAliveMs ?? 65_000;
  server.headersTimeout = server.keepAliveTimeout + 1000;
  return server;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://agent');
  const path = url.pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
  switch (path) {
    case '/metrics':
      return send(res, 200, deps.registry.contentType, await deps.registry.metrics());
    case '/healthz':
      return send(res, 200, 'text/plain', 'ok\n');
    case '/readyz':
      return deps.ready() ? send(res, 200, 'text/plain', 'ready\n') : send(res, 503, 'text/plain', 'not ready: no complete sample yet\n');
    case '/v1/report':
      if (!authorized(req, deps.peerToken)) return send(res, 401, 'application/json', JSON.stringify({ error: 'missing or wrong bearer token' }), { 'www-authenticate': 'Bearer' });
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

function authorized(req: IncomingMessage, token: string | null): boolean {
  if (token === null) return true;
  const header = req.headers.authorization ?? '';
  const match = /^bearer\s+(.+)$/i.exec(header);
  const given = Buffer.from(match ? match[1]! : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
