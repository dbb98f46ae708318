// Experiments on the real agent without editing src/: a copy of the compiled bench output in which one compiled
// src/ module is replaced by a re-export of a stand-in under bench/support/. No loader hooks (they would add a
// thread and its own heap to the process being measured): the copy is plain files, run like the original.
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SWAPS = {
  /** src/adapters/docker.ts -> the same DockerApi over undici, without dockerode (bench/support/docker-undici.ts). */
  'docker-undici': {
    module: 'src/adapters/docker.js',
    code: "export * from '../../bench/support/docker-undici.js';\n",
  },
} as const;
export type SwapName = keyof typeof SWAPS;

/** The folder bench/run.sh compiled into (node_modules/.cache/swarm-balance-bench/<bench>). */
export const OUT = join(dirname(fileURLToPath(import.meta.url)), '../..');

/** Copies OUT to a sibling folder named after the swaps and applies them; returns the copy's root. */
export function swappedTree(names: readonly SwapName[]): string {
  if (names.length === 0) return OUT;
  for (const n of names)
    if (!(n in SWAPS)) throw new Error(`unknown swap ${n}; one of ${Object.keys(SWAPS).join(', ')}`);
  const root = `${OUT}-swap-${[...names].sort().join('+')}`;
  if (existsSync(root)) rmSync(root, { recursive: true, force: true });
  cpSync(OUT, root, { recursive: true });
  for (const n of names) {
    const { module, code } = SWAPS[n];
    writeFileSync(join(root, module), `// bench/support/swap.ts: ${n}\n${code}`);
  }
  return root;
}
