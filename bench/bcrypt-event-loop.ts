// Which way of checking a bcrypt password keeps the event loop free? 8 wrong-password checks at once
// (cost 10) with compareSync, bcryptjs' async compare and the agent's worker thread; a 1 ms timer
// measures the longest time the event loop could not run it.
// Usage: bash bench/run.sh bcrypt-event-loop
import bcrypt from 'bcryptjs';
import { BcryptVerifier } from '../src/bcrypt-worker.js';
import { machineFacts } from './support/common.js';

async function measure(name: string, check: () => Promise<boolean>): Promise<void> {
  const gaps: number[] = [];
  let last = performance.now();
  const tick = setInterval(() => {
    const now = performance.now();
    gaps.push(now - last);
    last = now;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  const start = performance.now();
  await Promise.all(Array.from({ length: 8 }, () => check()));
  const wall = performance.now() - start;
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(tick);
  gaps.sort((a, b) => a - b);
  console.log(`| ${name} | ${wall.toFixed(0)} ms | ${gaps.at(-1)!.toFixed(1)} ms |`);
}

for (const line of machineFacts()) console.log(line);
const hash = bcrypt.hashSync('right', 10);
const worker = new BcryptVerifier(64);
console.log('| check | 8 checks took | longest event-loop stall |\n|---|---|---|');
await measure('`bcrypt.compareSync` (main thread)', async () => bcrypt.compareSync('wrong', hash));
await measure('bcryptjs async `compare`', () => bcrypt.compare('wrong', hash));
await measure('worker thread (`src/bcrypt-worker.ts`)', () => worker.verify('wrong', hash)!);
await worker.close();
