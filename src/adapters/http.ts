// Outbound HTTP for scraping task counters and peer reports: undici, keep-alive, hard limits.
// undici is loaded, and the connection pool made, at the first request (src/adapters/undici.ts).
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { AgentError, ErrorCodes } from '../errors.js';
import { loadUndici } from './undici.js';

export class HttpStatusError extends AgentError {
  constructor(
    readonly status: number,
    where: string,
  ) {
    super(ErrorCodes.HTTP_STATUS, `${where} answered HTTP ${status}`);
  }
}

export interface HttpLimits {
  timeoutMs: number;
  maxBytes: number;
  /** Connections kept per origin; 1 keeps the agent's footprint on each task to a single socket. */
  connectionsPerOrigin: number;
  /** PEM CA bundle to check HTTPS peers against (the system's when absent). */
  ca?: string;
}

export interface HttpClient {
  getText(url: string, headers?: Record<string, string>): Promise<string>;
  /**
   * Hands the body to `onChunk` piece by piece as it arrives, never holding it whole; an exception
   * from `onChunk` hangs up and is thrown as is.
   */
  getChunks(
    url: string,
    headers: Record<string, string> | undefined,
    onChunk: (chunk: Uint8Array) => void,
  ): Promise<void>;
  /** TCP connections this client opened to `host:port` so far, and how many are open now. */
  connectionsTo(hostPort: string): { opened: number; open: number };
  close(): Promise<void>;
}

export function createHttpClient(limits: HttpLimits, dispatcher?: Dispatcher): HttpClient {
  let agent: Dispatcher | undefined;
  let closed = false;
  const opened = new Map<string, number>();
  const openNow = new Map<string, number>();
  const watch = (d: Dispatcher) => {
    d.on('connect', (origin) => {
      opened.set(origin.host, (opened.get(origin.host) ?? 0) + 1);
      openNow.set(origin.host, (openNow.get(origin.host) ?? 0) + 1);
    });
    d.on('disconnect', (origin) => openNow.set(origin.host, Math.max(0, (openNow.get(origin.host) ?? 0) - 1)));
  };
  if (dispatcher) {
    agent = dispatcher;
    watch(agent);
  }
  const pool = (undici: typeof Undici): Dispatcher => {
    if (agent) return agent;
    agent = new undici.Agent({
      connections: limits.connectionsPerOrigin,
      pipelining: 1,
      keepAliveTimeout: 120_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: limits.timeoutMs, ...(limits.ca ? { ca: limits.ca } : {}) },
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
      maxResponseSize: limits.maxBytes,
    });
    watch(agent);
    // Closed before its first request: it fails as a request on a closed client always did.
    if (closed) void agent.destroy();
    return agent;
  };

  const open = async (url: string, where: string, headers?: Record<string, string>) => {
    const undici = await loadUndici();
    return { undici, res: await openResponse(undici, pool(undici), limits, url, where, headers) };
  };

  return {
    async getText(url, headers) {
      const where = redactUrl(url);
      const { undici, res } = await open(url, where, headers);
      try {
        return await res.body.text();
      } catch (err) {
        throw classify(undici, err, where, limits);
      }
    },
    async getChunks(url, headers, onChunk) {
      const undici = await loadUndici();
      return dispatchChunks(undici, pool(undici), limits, url, headers, onChunk);
    },
    connectionsTo: (hostPort) => ({ opened: opened.get(hostPort) ?? 0, open: openNow.get(hostPort) ?? 0 }),
    // Shutting down: requests still in flight are abandoned rather than waited for.
    close: () => {
      closed = true;
      return agent ? agent.destroy() : Promise.resolve();
    },
  };
}

/**
 * getChunks on undici's dispatcher itself: no response stream, async iterator or abort signal per
 * request, which at 5,000 peers a round were most of the client's cost and garbage. Besides undici's
 * own connect, headers and per-read body timeouts, one timer bounds the whole request, so a body that
 * trickles in cannot hold on. Anything but a 200 within the size limit hangs up and is thrown.
 */
function dispatchChunks(
  undici: typeof Undici,
  dispatcher: Dispatcher,
  limits: HttpLimits,
  url: string,
  headers: Record<string, string> | undefined,
  onChunk: (chunk: Uint8Array) => void,
): Promise<void> {
  const target = new URL(url);
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let controller: Dispatcher.DispatchController | null = null;
    const finish = (err?: unknown): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      if (err === undefined) resolve();
      else reject(err);
    };
    const hangUp = (c: Dispatcher.DispatchController, err: Error): void => {
      finish(err);
      c.abort(err);
    };
    const deadline = setTimeout(() => {
      const err = new AgentError(
        ErrorCodes.HTTP_TIMEOUT,
        `${redactUrl(url)} did not answer within ${limits.timeoutMs}ms`,
      );
      finish(err);
      controller?.abort(err);
    }, limits.timeoutMs);
    dispatcher.dispatch(
      { origin: target.origin, path: `${target.pathname}${target.search}`, method: 'GET', headers },
      {
        onRequestStart(c) {
          controller = c;
          // Given up on while it waited for a connection.
          if (settled) c.abort(new AgentError(ErrorCodes.HTTP_TIMEOUT, 'request abandoned'));
        },
        onResponseStart(c, statusCode, resHeaders) {
          if (statusCode !== 200) return hangUp(c, new HttpStatusError(statusCode, redactUrl(url)));
          const declared = Number(resHeaders['content-length']);
          if (declared > limits.maxBytes)
            hangUp(
              c,
              new AgentError(
                ErrorCodes.HTTP_BODY_TOO_LARGE,
                `${redactUrl(url)} body of ${declared} bytes is over the ${limits.maxBytes}-byte limit`,
              ),
            );
        },
        onResponseData(c, chunk) {
          if (settled) return;
          try {
            onChunk(chunk);
          } catch (err) {
            hangUp(c, err as Error);
          }
        },
        onResponseEnd: () => finish(),
        onResponseError: (_c, err) => finish(classify(undici, err, redactUrl(url), limits)),
      },
    );
  });
}

/** A 200 answer whose declared length is within the limit; anything else is thrown. */
async function openResponse(
  undici: typeof Undici,
  agent: Dispatcher,
  limits: HttpLimits,
  url: string,
  where: string,
  headers?: Record<string, string>,
): Promise<Dispatcher.ResponseData> {
  let res: Dispatcher.ResponseData;
  try {
    res = await undici.request(url, { dispatcher: agent, headers, signal: AbortSignal.timeout(limits.timeoutMs) });
  } catch (err) {
    throw classify(undici, err, where, limits);
  }
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    throw new HttpStatusError(res.statusCode, where);
  }
  const declared = Number(res.headers['content-length']);
  if (declared > limits.maxBytes) {
    res.body.destroy();
    throw new AgentError(
      ErrorCodes.HTTP_BODY_TOO_LARGE,
      `${where} body of ${declared} bytes is over the ${limits.maxBytes}-byte limit`,
    );
  }
  return res;
}

function classify({ errors }: typeof Undici, err: unknown, where: string, limits: HttpLimits): AgentError {
  if (err instanceof errors.ResponseExceededMaxSizeError) {
    return new AgentError(ErrorCodes.HTTP_BODY_TOO_LARGE, `${where} body is over the ${limits.maxBytes}-byte limit`, {
      cause: err,
    });
  }
  const name = (err as Error).name;
  if (
    err instanceof errors.HeadersTimeoutError ||
    err instanceof errors.BodyTimeoutError ||
    err instanceof errors.ConnectTimeoutError ||
    name === 'TimeoutError' ||
    name === 'AbortError'
  ) {
    return new AgentError(ErrorCodes.HTTP_TIMEOUT, `${where} did not answer within ${limits.timeoutMs}ms`, {
      cause: err,
    });
  }
  const code = (err as { code?: string }).code ?? name;
  return new AgentError(ErrorCodes.HTTP_CONNECT, `${where} failed: ${code}`, { cause: err });
}

/** Keeps scheme, host and path shape but never credentials, query or tokens in paths. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname
      .split('/')
      .map((seg) => (seg.length > 24 ? '…' : seg))
      .join('/')}`;
  } catch {
    return '(invalid URL)';
  }
}
