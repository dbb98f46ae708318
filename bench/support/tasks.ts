// Swarm-shaped task identities for the benches: 25-character task ids, 64-hex container ids, service names
// and slots the way the engine gives them.
import type { TaskRef } from '../../src/core/types.js';

const hex = (seed: number, length: number): string => {
  let out = '';
  let x = (seed * 2654435761) >>> 0;
  while (out.length < length) {
    x = (x * 1103515245 + 12345) >>> 0;
    out += x.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
};

/** Swarm-style 25-character id (lowercase base36), stable for a seed. */
export const swarmId = (seed: number): string =>
  BigInt(`0x${hex(seed, 32)}`)
    .toString(36)
    .padStart(25, '0')
    .slice(0, 25);
export const containerId = (seed: number): string => hex(seed, 64);

/** `count` tasks spread round-robin over `services` services, task i reading /proc/<pids[i]>. */
export function taskRefs(pids: readonly number[], services: number, startedAt: number): TaskRef[] {
  return pids.map((pid, i) => {
    const s = i % services;
    const slot = String(Math.floor(i / services) + 1);
    const serviceName = `shop_svc${String(s).padStart(3, '0')}`;
    return {
      id: swarmId(10_000 + i),
      containerId: containerId(10_000 + i),
      name: `${serviceName}.${slot}`,
      serviceId: swarmId(1_000_000 + s),
      serviceName,
      stack: 'shop',
      slot,
      nodeId: swarmId(7),
      nodeName: 'bench-node',
      pid,
      health: 'none',
      startedAt,
      networks: { shop_backend: `10.1.${(i >> 8) & 255}.${(i & 255) + 2}` },
      labels: {},
    };
  });
}
