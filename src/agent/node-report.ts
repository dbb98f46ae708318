// This node's report (/v1/report and the local evaluator's input): the sampled tasks, the engine's view,
// and for the tasks asked about, their busiest inbound clients.
import type { ProcReader } from '../adapters/procfs.js';
import { countByAddress, type TcpSocket } from '../core/procnet.js';
import { NODE_CAPACITY } from '../core/report-limits.js';
import type { NodeReport } from '../core/types.js';
import type { Discovery } from '../discovery.js';
import { readInboundSockets } from '../samplers/proc-sockets.js';
import type { SampleState } from './state.js';

export interface NodeReportParts {
  discovery: Pick<Discovery, 'current'>;
  readProc: ProcReader;
  state: Readonly<SampleState>;
  /** The services firing under this agent's watch (the evaluator's). */
  firing(): string[];
  windowMs: number;
}

/** `inbound` names tasks whose inbound connections to list (read only when asked). */
export type NodeReportOf = (inbound?: readonly string[]) => Promise<NodeReport>;

/**
 * The remote addresses with the most connections to a task. Connections to the task's gateway-bridge
 * address come from this host (the agent's own counter reads among them), never from a client of the
 * service; and only the busiest fit what an evaluator accepts (core/report-limits.ts).
 */
export function busiestClients(sockets: readonly TcpSocket[], gateway: string | undefined) {
  return countByAddress(sockets.filter((s) => s.localAddress !== gateway))
    .sort((a, b) => b.connections - a.connections)
    .slice(0, NODE_CAPACITY.inboundPerTask);
}

export function createNodeReport(parts: NodeReportParts): NodeReportOf {
  return async (inbound = []) => {
    const snap = parts.discovery.current();
    const wanted = new Set(inbound);
    const tasks = await Promise.all(
      parts.state.tasks.map(async (t) => {
        const ref = wanted.has(t.id) ? snap.tasks.find((r) => r.id === t.id) : undefined;
        if (!ref) return t;
        const sockets = await readInboundSockets(parts.readProc, ref.pid).catch(() => null);
        return sockets ? { ...t, inbound: busiestClients(sockets, ref.networks['docker_gwbridge']) } : t;
      }),
    );
    return {
      version: 1,
      at: parts.state.lastSample,
      node: { ...snap.node },
      dockerUp: snap.dockerUp,
      windowSeconds: parts.windowMs / 1000,
      tasks,
      services: snap.services,
      endpoints: snap.endpoints,
      firing: parts.firing(),
    };
  };
}
