// The round loop (src/agent/loop.ts): one round per interval, a failed round does not stop the loop,
// and nothing runs after stop.
import { describe, expect, it } from 'vitest';
import { startLoop } from '../../../src/agent/loop.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('startLoop', () => {
  it('runs again after a failed round, handing the error over', async () => {
    let rounds = 0;
    const errors: unknown[] = [];
    const loop = startLoop(
      () => (++rounds === 1 ? Promise.reject(new Error('engine gone')) : Promise.resolve()),
      10,
      (err) => errors.push(err),
    );
    await sleep(100);
    await loop.stop(100);
    expect(rounds).toBeGreaterThan(1);
    expect(errors).toEqual([new Error('engine gone')]);
  });

  it('starts no round after stop, and stop waits for the running one', async () => {
    let rounds = 0;
    let finished = 0;
    const loop = startLoop(
      async () => {
        rounds++;
        await sleep(50);
        finished++;
      },
      10,
      () => undefined,
    );
    await sleep(10);
    await loop.stop(1000);
    expect([rounds, finished]).toEqual([1, 1]);
    await sleep(50);
    expect(rounds).toBe(1);
  });

  it('stop gives up on a round that outlasts the grace time', async () => {
    const loop = startLoop(
      () => new Promise<void>(() => undefined),
      10,
      () => undefined,
    );
    await expect(loop.stop(30)).resolves.toBeUndefined();
  });
});
