// A pass-through proxy in front of the test engine's socket, with a hook that runs before a request
// is forwarded: the way to make something really happen on the engine "during" the agent's call.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { rm } from 'node:fs/promises';

export interface DockerProxy {
  dockerHost: string;
  seen: { method: string; path: string; status: number }[];
  close(): Promise<void>;
}

/** An answer the proxy gives itself instead of forwarding: a status and a JSON body, as the engine answers. */
export interface OwnAnswer {
  status: number;
  json: unknown;
}

/** Runs before a request is forwarded; an answer returned is sent instead, and the engine never sees it. */
export type BeforeForward = (req: IncomingMessage) => Promise<void | OwnAnswer>;

export async function startDockerProxy(
  socketPath: string,
  target: string,
  before: BeforeForward,
): Promise<DockerProxy> {
  await rm(socketPath, { force: true });
  const seen: DockerProxy['seen'] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const own = await before(req);
      if (own) {
        seen.push({ method: req.method ?? '', path: req.url ?? '', status: own.status });
        req.resume();
        res.writeHead(own.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(own.json));
        return;
      }
      const upstream = request(
        { socketPath: target, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          seen.push({ method: req.method ?? '', path: req.url ?? '', status: up.statusCode ?? 0 });
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    })();
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    dockerHost: `unix://${socketPath}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
