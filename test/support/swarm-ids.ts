// Swarm-shaped identities, stable for a seed: 25-character task/service/node ids and 64-hex container ids, for the
// fake peers of tests and the tasks of benches.

/** `length` hex digits from a small linear congruential generator seeded with `seed`. */
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

/** Docker-style 64-hex container id, stable for a seed. */
export const containerId = (seed: number): string => hex(seed, 64);
