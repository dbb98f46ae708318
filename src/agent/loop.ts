// The timer loop: one round per interval, never two at once; a failed round is logged and the next one runs.
export interface Loop {
  /** No round starts after this; waits up to `graceMs` for the one running. */
  stop(graceMs: number): Promise<void>;
}

export function startLoop(round: () => Promise<void>, intervalMs: number, onError: (err: unknown) => void): Loop {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> = Promise.resolve();
  const next = () => {
    if (stopped) return;
    const started = Date.now();
    running = round()
      .catch(onError)
      .finally(() => {
        // The interval counts from a round's start: a slow round shortens the wait, never stacks rounds.
        if (!stopped) timer = setTimeout(next, Math.max(0, intervalMs - (Date.now() - started)));
      });
  };
  next();
  return {
    async stop(graceMs) {
      stopped = true;
      if (timer) clearTimeout(timer);
      await Promise.race([running, new Promise((r) => setTimeout(r, graceMs).unref())]);
    },
  };
}
