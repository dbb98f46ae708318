// Stand-in for src/adapters/docker.ts with the same exports and contract, talking to the Docker API with undici
// (already a dependency) instead of dockerode, which brings docker-modem, ssh2, @grpc/grpc-js and protobufjs along.
// Swapped in for the real module by bench/support/swap.ts (`--swap=docker-undici`) to measure what dropping dockerode
// saves in the real agent's memory. Only what the agent and the remediator call; errors as the real adapter makes them.
import { Pool, type Dispatcher } from 'undici';
import type { DockerApi, DockerEvent } from '../../src/adapters/docker.js';
import { createEventLineReader } from '../../src/core/event-lines.js';
import { AgentError, ErrorCodes } from '../../src/errors.js';

export type { DockerApi, DockerEvent } from '../../src/adapters/docker.js';

const TIMEOUT_MS = 10_000;

export function createDockerApi(dockerHost: string): DockerApi {
  const unix = dockerHost.startsWith('unix://');
  const origin = unix ? 'http://docker' : dockerHost.replace(/^tcp:/, 'http:');
  const socket = unix ? { socketPath: dockerHost.slice('unix://'.length) } : {};
  // The event stream holds one connection for as long as it runs: the others serve the calls.
  const pool = new Pool(origin, { ...socket, connections: 4, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  const events = new Pool(origin, { ...socket, connections: 1, headersTimeout: TIMEOUT_MS, bodyTimeout: 0 });

  const call = async <T>(
    what: string,
    path: string,
    opts: { method?: Dispatcher.HttpMethod; query?: Record<string, unknown>; body?: unknown } = {},
  ): Promise<T> => {
    const query = Object.entries(opts.query ?? {})
      .map(
        ([k, v]) =>
          `${k}=${encodeURIComponent(typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v))}`,
      )
      .join('&');
    let res: Dispatcher.ResponseData;
    try {
      res = await pool.request({
        path: query ? `${path}?${query}` : path,
        method: opts.method ?? 'GET',
        ...(opts.body !== undefined
          ? { body: JSON.stringify(opts.body), headers: { 'content-type': 'application/json' } }
          : {}),
      });
    } catch (err) {
      throw new AgentError(
        ErrorCodes.DOCKER_UNREACHABLE,
        `Docker API at ${dockerHost} unreachable (${what}): ${(err as Error).message}`,
        { cause: err },
      );
    }
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      let message = text.trim();
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        /* plain text */
      }
      throw new AgentError(ErrorCodes.DOCKER_API, `${what} answered ${res.statusCode}: ${message}`, {
        cause: { statusCode: res.statusCode, json: { message } },
      });
    }
    return (text ? JSON.parse(text) : undefined) as T;
  };

  return {
    info: () => call('GET /info', '/info'),
    node: (id) => call(`GET /nodes/${id}`, `/nodes/${encodeURIComponent(id)}`),
    listNodes: (managersOnly) =>
      call('GET /nodes', '/nodes', managersOnly ? { query: { filters: { role: ['manager'] } } } : {}),
    listContainers: (labels) =>
      call('GET /containers/json', '/containers/json', {
        query: { filters: { ...(labels.length > 0 ? { label: labels } : {}), status: ['running'] } },
      }),
    inspectContainer: (id) => call(`GET /containers/${id}/json`, `/containers/${encodeURIComponent(id)}/json`),
    listServices: () => call('GET /services', '/services'),
    inspectService: (id) => call(`GET /services/${id}`, `/services/${encodeURIComponent(id)}`),
    updateService: async (id, version, spec) => {
      await call(`POST /services/${id}/update`, `/services/${encodeURIComponent(id)}/update`, {
        method: 'POST',
        query: { version },
        body: spec,
      });
    },
    inspectNetwork: (name) => call(`GET /networks/${name}`, `/networks/${encodeURIComponent(name)}`),
    listRunningTasks: () => call('GET /tasks', '/tasks', { query: { filters: { 'desired-state': ['running'] } } }),
    events: async (since, onEvent, signal) => {
      const filters = encodeURIComponent(JSON.stringify({ type: ['container', 'service', 'node'] }));
      let res: Dispatcher.ResponseData;
      try {
        res = await events.request({ path: `/events?since=${since}&filters=${filters}`, method: 'GET', signal });
      } catch (err) {
        if (signal.aborted) return;
        throw new AgentError(
          ErrorCodes.DOCKER_UNREACHABLE,
          `Docker API at ${dockerHost} unreachable (GET /events): ${(err as Error).message}`,
          { cause: err },
        );
      }
      const feed = createEventLineReader<DockerEvent>(onEvent);
      try {
        for await (const chunk of res.body) feed(chunk as Buffer);
      } catch (err) {
        if (!signal.aborted)
          throw new AgentError(
            ErrorCodes.DOCKER_UNREACHABLE,
            `Docker API at ${dockerHost} unreachable (GET /events): ${(err as Error).message}`,
            { cause: err },
          );
      }
    },
  };
}

export function apiStatus(err: unknown): number | undefined {
  const cause = (err as { cause?: { statusCode?: number } }).cause;
  return typeof cause?.statusCode === 'number' ? cause.statusCode : undefined;
}

export function isApiRefusal(err: unknown): boolean {
  return err instanceof AgentError && err.code === ErrorCodes.DOCKER_API;
}

export function dockerOptions(dockerHost: string): {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: string;
  timeout: number;
} {
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length), timeout: TIMEOUT_MS };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return {
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    timeout: TIMEOUT_MS,
  };
}
