// An HTTP server that keeps every request it gets (path and body) and answers 200 "ok": a receiver for
// Alertmanager's and the agent's webhooks when only the paths and bodies matter.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CaptureServer {
  server: Server;
  url: string;
  requests: { path: string; body: string }[];
}

/** Listens on `host` (loopback by default; the testbed bridge address to be reached from the nodes). */
export async function captureServer(host = '127.0.0.1'): Promise<CaptureServer> {
  const requests: { path: string; body: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      requests.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  server.listen(0, host);
  await once(server, 'listening');
  return { server, url: `http://${host}:${(server.address() as AddressInfo).port}`, requests };
}
