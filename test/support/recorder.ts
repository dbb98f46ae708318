// One local HTTP server standing in for every chat endpoint in end-to-end runs: it records each
// POST by path and answers the way the services do on success (JSON `ok` for Telegram, 200 otherwise).
import { createServer, type Server } from 'node:http';

export interface Recorded {
  path: string;
  at: number;
  body: unknown;
}

export interface Recorder {
  url: string;
  received: Recorded[];
  on(path: string): Recorded[];
  close(): Promise<void>;
}

export interface RecorderOptions {
  /** Called with each request once it is recorded (the demo prints the messages as they come). */
  onRecord?: (r: Recorded) => void;
}

export async function startRecorder(opts: RecorderOptions = {}): Promise<Recorder> {
  const received: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        /* recorded as text */
      }
      const recorded: Recorded = { path: req.url ?? '', at: Date.now(), body };
      received.push(recorded);
      const telegram = (req.url ?? '').includes('/sendMessage');
      res.writeHead(200, { 'content-type': telegram ? 'application/json' : 'text/plain' });
      res.end(telegram ? JSON.stringify({ ok: true, result: { message_id: received.length } }) : 'ok');
      opts.onRecord?.(recorded);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path) => received.filter((r) => r.path.startsWith(path)),
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
