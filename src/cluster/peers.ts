// Which agents to ask for reports: a static list, DNS, or by default the agent's own Swarm service.
import type { PeersSetting } from '../config.js';

export type Resolve = (name: string) => Promise<string[]>;

/** host:port of every peer; empty when there is nothing to ask (a lone agent judges its own node). */
export async function peerAddresses(
  setting: PeersSetting | null,
  ownService: string | null,
  listenPort: number,
  resolve: Resolve,
): Promise<string[]> {
  if (setting?.kind === 'static') return setting.addresses;
  const dns = setting ?? (ownService ? { kind: 'dns' as const, name: `tasks.${ownService}`, port: listenPort } : null);
  if (!dns) return [];
  const addresses = await resolve(dns.name);
  return addresses.sort().map((a) => `${a.includes(':') ? `[${a}]` : a}:${dns.port}`);
}
