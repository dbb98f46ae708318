// Polling until something holds, for tests, benches and the demo alike.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Time between two checks (default 250 ms). */
  everyMs?: number;
  /** Called after each failed check: a reason given here ends the wait at once (say, the process exited). */
  giveUpIf?: () => string | undefined;
}

/**
 * Calls `check` until it answers true (a check that throws counts as false); throws after `timeoutMs`,
 * naming `what` and the end of `context()` (a process's output, say).
 */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  context?: () => string,
  opts: WaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const contextText = () => (context ? `\n--- context ---\n${context().slice(-4000)}` : '');
  for (;;) {
    if (await check().catch(() => false)) return;
    const reason = opts.giveUpIf?.();
    if (reason !== undefined) throw new Error(`${reason} while waiting for ${what}${contextText()}`);
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${contextText()}`);
    await sleep(opts.everyMs ?? 250);
  }
}
