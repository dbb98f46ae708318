// Thin I/O over dockerode: every call returns raw API JSON; mapping lives in src/core/docker-model.ts.
// Must come before dockerode: it keeps dockerode's unused dependencies from loading (see the file).
import './docker-lazy-deps.js';
import Docker from 'dockerode';
import { createEventLineReader } from '../core/event-lines.js';
import { AgentError, ErrorCodes } from '../errors.js';

export interface DockerEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

export interface DockerApi {
  info(): Promise<Record<string, unknown>>;
  node(id: string): Promise<Record<string, unknown>>;
  /** GET /nodes; `managersOnly` asks for the managers alone (a handful, cheap every cycle). */
  listNodes(managersOnly?: boolean): Promise<unknown[]>;
  listContainers(labelFilter: string[]): Promise<{ Id: string; Labels?: Record<string, string> }[]>;
  inspectContainer(id: string): Promise<unknown>;
  listServices(): Promise<unknown[]>;
  listRunningTasks(): Promise<unknown[]>;
  inspectNetwork(name: string): Promise<unknown>;
  inspectService(id: string): Promise<unknown>;
  /** POST /services/{id}/update?version=N with the whole spec. */
  updateService(id: string, version: number, spec: unknown): Promise<void>;
  /** Streams events until `signal` aborts; resolves when the stream ends, rejects when it fails. */
  events(sinceSeconds: number, onEvent: (e: DockerEvent) => void, signal: AbortSignal): Promise<void>;
}

export function dockerOptions(dockerHost: string): Docker.DockerOptions {
  const timeout = 10_000;
  if (dockerHost.startsWith('unix://')) return { socketPath: dockerHost.slice('unix://'.length), timeout };
  const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
  return {
    host: url.hostname,
    port: Number(url.port || 2375),
    protocol: url.protocol === 'https:' ? 'https' : 'http',
    timeout,
  };
}

export function createDockerApi(dockerHost: string): DockerApi {
  const docker = new Docker(dockerOptions(dockerHost));
  const wrap = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (err) {
      throw toAgentError(what, dockerHost, err);
    }
  };
  return {
    info: () => wrap('GET /info', () => docker.info() as Promise<Record<string, unknown>>),
    node: (id) => wrap(`GET /nodes/${id}`, () => docker.getNode(id).inspect() as Promise<Record<string, unknown>>),
    listNodes: (managersOnly) =>
      wrap(
        'GET /nodes',
        () =>
          docker.listNodes(managersOnly ? { filters: JSON.stringify({ role: ['manager'] }) } : {}) as Promise<
            unknown[]
          >,
      ),
    listContainers: (labels) =>
      wrap('GET /containers/json', () =>
        docker.listContainers({ filters: { ...(labels.length > 0 ? { label: labels } : {}), status: ['running'] } }),
      ),
    inspectContainer: (id) => wrap(`GET /containers/${id}/json`, () => docker.getContainer(id).inspect()),
    listServices: () => wrap('GET /services', () => docker.listServices() as Promise<unknown[]>),
    inspectService: (id) => wrap(`GET /services/${id}`, () => docker.getService(id).inspect()),
    updateService: (id, version, spec) =>
      wrap(`POST /services/${id}/update`, async () => {
        // docker-modem: _query goes to the query string, _body is the JSON body.
        await docker.getService(id).update({ _query: { version }, _body: spec });
      }),
    inspectNetwork: (name) => wrap(`GET /networks/${name}`, () => docker.getNetwork(name).inspect()),
    listRunningTasks: () =>
      wrap('GET /tasks', () => docker.listTasks({ filters: { 'desired-state': ['running'] } }) as Promise<unknown[]>),
    events: (since, onEvent, signal) => wrap('GET /events', () => streamEvents(docker, since, onEvent, signal)),
  };
}

async function streamEvents(
  docker: Docker,
  since: number,
  onEvent: (e: DockerEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const stream = (await docker.getEvents({
    since,
    filters: { type: ['container', 'service', 'node'] },
  })) as NodeJS.ReadableStream & { destroy(): void };
  await new Promise<void>((resolve, reject) => {
    const stop = () => {
      stream.destroy();
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
    stream.on('data', createEventLineReader<DockerEvent>(onEvent));
    stream.on('end', () => {
      signal.removeEventListener('abort', stop);
      resolve();
    });
    stream.on('error', (err) => {
      signal.removeEventListener('abort', stop);
      reject(err);
    });
  });
}

/** The HTTP status an engine error carried, if it answered at all. */
export function apiStatus(err: unknown): number | undefined {
  const cause = (err as { cause?: { statusCode?: number } }).cause;
  return typeof cause?.statusCode === 'number' ? cause.statusCode : undefined;
}

/** Statuses from the engine that mean "this node cannot answer that" rather than "the engine is down". */
export function isApiRefusal(err: unknown): boolean {
  return err instanceof AgentError && err.code === ErrorCodes.DOCKER_API;
}

function toAgentError(what: string, dockerHost: string, err: unknown): AgentError {
  const status = (err as { statusCode?: number }).statusCode;
  const reason = (err as { json?: { message?: string } }).json?.message ?? (err as Error).message;
  if (typeof status === 'number') {
    return new AgentError(ErrorCodes.DOCKER_API, `${what} answered ${status}: ${reason}`, { cause: err });
  }
  return new AgentError(ErrorCodes.DOCKER_UNREACHABLE, `Docker API at ${dockerHost} unreachable (${what}): ${reason}`, {
    cause: err,
  });
}
