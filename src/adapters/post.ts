// POSTs one JSON body with undici and reports what came back; never throws for HTTP statuses.
// undici is loaded, and the connection pool made, at the first message (src/adapters/undici.ts).
import type { Dispatcher } from 'undici';
import type { AttemptResult } from '../core/retry.js';
import { loadUndici } from './undici.js';

export type PostJson = (url: string, body: unknown) => Promise<AttemptResult>;

const MAX_BODY = 64 * 1024;

export function createPoster(timeoutMs: number, dispatcher?: Dispatcher): { post: PostJson; close(): Promise<void> } {
  let agent = dispatcher;
  let closed = false;
  return {
    async post(url, body) {
      try {
        const undici = await loadUndici();
        if (!agent) {
          agent = new undici.Agent({
            connections: 4,
            keepAliveTimeout: 30_000,
            headersTimeout: timeoutMs,
            bodyTimeout: timeoutMs,
            connect: { timeout: timeoutMs },
          });
          // Closed before its first message: it fails as a message on a closed client always did.
          if (closed) void agent.destroy();
        }
        const res = await undici.request(url, {
          method: 'POST',
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
          headers: { 'content-type': 'application/json', 'user-agent': 'swarm-balance' },
          body: JSON.stringify(body),
        });
        const text = await readCapped(res.body);
        const retryAfter = res.headers['retry-after'];
        return {
          kind: 'response',
          status: res.statusCode,
          retryAfterHeader: typeof retryAfter === 'string' ? retryAfter : null,
          body: text,
        };
      } catch (err) {
        // The error text may carry the URL, which holds the secret: keep only its kind.
        // A timeout is a DOMException whose legacy numeric `code` (23) says nothing: prefer its name.
        const e = err as { name?: string; code?: unknown };
        return { kind: 'network', reason: typeof e.code === 'string' ? e.code : (e.name ?? 'network error') };
      }
    },
    // Shutting down: requests still in flight are abandoned rather than waited for.
    close: () => {
      closed = true;
      return agent ? agent.destroy() : Promise.resolve();
    },
  };
}

async function readCapped(body: Dispatcher.ResponseData['body']): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    text += (chunk as Buffer).toString('utf8');
    if (text.length > MAX_BODY) {
      body.destroy();
      break;
    }
  }
  return text.slice(0, MAX_BODY);
}
