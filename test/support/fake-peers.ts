// Real local HTTP servers standing in for peer agents' /v1/report: well-behaved, locked, broken, huge, silent.
// Each peer records what it saw, so a test can tell what the client sent and whether it hung up early.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Endpoint, NodeReport, TaskReport } from '../../src/core/types.js';
import { containerId, swarmId } from './swarm-ids.js';

/** One response as the peer saw it: body bytes handed to the socket, and whether it was sent whole. */
export interface ResponseSeen {
  bytesWritten: number;
  complete: boolean;
  /** The client closed the connection before the response was sent whole. */
  cutShort: boolean;
}

export interface PeerSeen {
  authorization: (string | undefined)[];
  urls: string[];
  responses: ResponseSeen[];
}

export interface FakePeer {
  /** host:port, the way PeerPoller names a peer. */
  address: string;
  seen: PeerSeen;
  close(): Promise<void>;
}

export type Behaviour = (req: IncomingMessage, res: ServerResponse, seen: ResponseSeen) => void;

/** Starts a node:http server on 127.0.0.1 with an OS-chosen port that answers every request with `behaviour`. */
export async function startPeer(behaviour: Behaviour): Promise<FakePeer> {
  const seen: PeerSeen = { authorization: [], urls: [], responses: [] };
  const server: Server = createServer((req, res) => {
    seen.authorization.push(req.headers.authorization);
    seen.urls.push(req.url ?? '');
    const response: ResponseSeen = { bytesWritten: 0, complete: false, cutShort: false };
    seen.responses.push(response);
    res.on('finish', () => {
      response.complete = true;
    });
    res.on('close', () => {
      response.cutShort = !res.writableFinished;
    });
    behaviour(req, res, response);
  });
  // As the agent's server keeps pollers' connections (src/server.ts): Node's 5 s default would close
  // them between rounds that last as long as the peer timeout.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reserves a port and gives it back, so nothing listens there: connections are refused. */
export async function closedPort(): Promise<string> {
  const peer = await startPeer(() => undefined);
  await peer.close();
  return peer.address;
}

/** The bytes of a body: a string is sent verbatim, anything else as JSON. Encoded once, sent many times. */
export const bodyBytes = (body: unknown): Buffer => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));

function send(
  res: ServerResponse,
  seen: ResponseSeen,
  status: number,
  body: Buffer,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length, ...headers });
  seen.bytesWritten += body.length;
  res.end(body);
}

/** 200 with `body`. */
export function answer(body: unknown): Behaviour {
  const bytes = bodyBytes(body);
  return (_req, res, seen) => send(res, seen, 200, bytes);
}

const UNAUTHORIZED = bodyBytes({ error: 'missing or wrong bearer token' });

/** What the agent's server does with SWARM_BALANCE_PEER_TOKEN set: 401 unless the bearer token matches. */
export function requireToken(token: string, body: unknown): Behaviour {
  const bytes = bodyBytes(body);
  return (req, res, seen) => {
    if (req.headers.authorization === `Bearer ${token}`) send(res, seen, 200, bytes);
    else send(res, seen, 401, UNAUTHORIZED, { 'www-authenticate': 'Bearer' });
  };
}

/**
 * Streams `totalBytes` of a JSON-looking body in 64 KiB chunks, respecting backpressure and stopping
 * as soon as the client goes away. `declareLength` sends Content-Length; otherwise the body is chunked.
 */
export function stream(totalBytes: number, declareLength: boolean): Behaviour {
  const chunk = Buffer.alloc(64 * 1024, ' ');
  return (_req, res, seen) => {
    res.writeHead(200, {
      'content-type': 'application/json',
      ...(declareLength ? { 'content-length': String(totalBytes) } : {}),
    });
    const pump = (): void => {
      while (!res.destroyed && seen.bytesWritten < totalBytes) {
        const piece = chunk.subarray(0, Math.min(chunk.length, totalBytes - seen.bytesWritten));
        seen.bytesWritten += piece.length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end();
    };
    pump();
  };
}

/** Accepts the connection and reads the request, then never answers. */
export function neverAnswer(): Behaviour {
  return () => undefined;
}

/** Sends the headers and the start of a body, then goes quiet. */
export function stallAfterHeaders(): Behaviour {
  return (_req, res, seen) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
    res.write('{"version":1,');
    seen.bytesWritten += 13;
  };
}

export interface ReportShape {
  /** Index of the node; names, ids and addresses derive from it. */
  node: number;
  tasks: number;
  role?: NodeReport['node']['role'];
  leader?: boolean;
  /** Services the reporting agent sees (a manager sees them all; a worker none). */
  services?: number;
  /** Services in the cluster; task `i` of node `n` belongs to service `(n * tasks + i) % serviceCount`. Default 4. */
  serviceCount?: number;
}

/** Id and name of the cluster's `s`-th service, as nodeReport() assigns them. */
export const serviceIdentity = (s: number): { id: string; name: string } => ({
  id: swarmId(1_000_000 + s),
  name: `shop_svc${s}`,
});

/**
 * A valid NodeReport as an agent on a busy node sends it: `tasks` replicas spread over a handful of
 * services (`serviceCount`), each with counters, a window for all three signals and rates; one endpoint per container
 * plus the agent's own. Built by hand so the tests do not depend on the agent to produce it.
 */
export function nodeReport(shape: ReportShape): NodeReport {
  const nodeId = swarmId(shape.node);
  const nodeName = `worker-${String(shape.node).padStart(4, '0')}`;
  // One /24 of the backend network per node: container n is .n+2, the agent .254.
  const ip = (host: number) => `10.${1 + ((shape.node >> 8) & 127)}.${shape.node & 255}.${host}`;
  const serviceCount = shape.serviceCount ?? 4;
  const tasks: TaskReport[] = Array.from({ length: shape.tasks }, (_, i) => {
    const seq = shape.node * shape.tasks + i;
    const service = serviceIdentity(seq % serviceCount);
    const slot = String(Math.floor(seq / serviceCount) + 1);
    const requests = 1000 + ((shape.node * 31 + i * 7) % 500);
    return {
      id: swarmId(10_000_000 + shape.node * 1000 + i),
      name: `${service.name}.${slot}`,
      containerId: containerId(10_000_000 + shape.node * 1000 + i),
      serviceId: service.id,
      serviceName: service.name,
      stack: 'shop',
      slot,
      nodeId,
      nodeName,
      health: 'healthy',
      startedAt: 1_764_000_000_000 + i * 1000,
      networks: { shop_backend: ip((i % 250) + 2), ingress: `10.255.${(shape.node >> 8) & 255}.${shape.node & 255}` },
      counters: {
        connectionsAccepted: 52_000 + i,
        connectionsActive: 12 + (i % 5),
        receiveBytes: 981_234_567 + i,
        receivePackets: 1_234_567 + i,
        requests: 250_000 + i,
      },
      window: {
        connections: { count: requests / 4, events: requests / 4, exposure: 60 },
        requests: { count: requests, events: requests, exposure: 60 },
        bytes: { count: requests * 800, events: requests * 2, exposure: 60 },
      },
      rates: { connections: requests / 240, requests: requests / 60, bytes: (requests * 800) / 60 },
    };
  });
  const endpoints: Endpoint[] = tasks.map((t) => ({
    address: t.networks.shop_backend!,
    container: `${t.name}.${t.id}`,
    containerId: t.containerId,
    network: 'shop_backend',
    nodeId,
    nodeName,
    task: t.id,
    service: t.serviceName,
  }));
  endpoints.push({
    address: ip(254),
    container: `monitoring_swarm-balance.${nodeId}`,
    containerId: containerId(shape.node),
    network: 'monitoring',
    nodeId,
    nodeName,
  });
  return {
    version: 1,
    at: 1_764_000_060_000,
    node: { id: nodeId, name: nodeName, role: shape.role ?? 'worker', leader: shape.leader ?? false },
    dockerUp: true,
    windowSeconds: 60,
    tasks,
    services: Array.from({ length: shape.services ?? 0 }, (_, s) => ({
      ...serviceIdentity(s),
      stack: 'shop',
      mode: 'replicated' as const,
      desiredReplicas: 3,
      endpointMode: 'vip' as const,
      ports: [],
      labels: { 'com.docker.stack.namespace': 'shop' },
      version: null,
      runningTasks: null,
      updateInProgress: false,
    })),
    endpoints,
    firing: [],
  };
}
