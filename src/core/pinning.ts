// Who pins a hot replica: its inbound connections grouped by remote address, named through the
// addresses every agent reported for the containers on its node.
import type { Endpoint, TaskReport } from './types.js';

export interface PinningClient {
  address: string;
  connections: number;
  share: number;
  container?: string;
  task?: string;
  service?: string;
  node?: string;
}

export interface Pinning {
  task: string;
  node: string;
  connections: number;
  clients: PinningClient[];
  /** Said when some clients cannot be named, and why that usually is. */
  note?: string;
}

export function pinningOf(hot: TaskReport, endpoints: readonly Endpoint[]): Pinning | null {
  if (!hot.inbound || hot.inbound.length === 0) return null;
  const ownNetworks = new Set(Object.keys(hot.networks));
  const byAddress = new Map<string, Endpoint>();
  for (const e of endpoints) {
    // An address can repeat on unrelated networks; one the hot task is attached to wins.
    const known = byAddress.get(e.address);
    if (!known || (!ownNetworks.has(known.network) && ownNetworks.has(e.network))) byAddress.set(e.address, e);
  }
  const total = hot.inbound.reduce((a, c) => a + c.connections, 0);
  const clients = [...hot.inbound]
    .sort((a, b) => b.connections - a.connections)
    .map((c): PinningClient => {
      const e = byAddress.get(c.address);
      return {
        address: c.address,
        connections: c.connections,
        share: total > 0 ? c.connections / total : 0,
        ...(e
          ? {
              container: e.container,
              node: e.nodeName,
              ...(e.task ? { task: e.task } : {}),
              ...(e.service ? { service: e.service } : {}),
            }
          : {}),
      };
    });
  const unnamed = clients.filter((c) => !c.container);
  return {
    task: hot.name,
    node: hot.nodeName,
    connections: total,
    clients,
    ...(unnamed.length > 0
      ? {
          note: `${unnamed.length} client address(es) match no container on a reporting node: traffic through the routing mesh (ingress or a VIP) arrives from the mesh's own address, or the client is outside the swarm; it came in through node ${hot.nodeName}`,
        }
      : {}),
  };
}

/** One line a person can read: "web.2 on node-3 holds 96 % of connections; 90 % of them come from proxy.1 (10.0.1.23)". */
export function describePinning(p: Pinning, share: number | null): string {
  const top = p.clients[0];
  const head = `${p.task} on ${p.node}${share !== null ? ` takes ${Math.round(share * 100)} % of the traffic` : ''}`;
  if (!top) return head;
  const who = top.container
    ? `${top.task ?? top.container} (${top.address}${top.node ? ` on ${top.node}` : ''})`
    : `${top.address} (unknown: mesh or outside the swarm)`;
  return `${head}; ${Math.round(top.share * 100)} % of its ${p.connections} open connection(s) come from ${who}`;
}
