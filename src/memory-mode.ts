// V8's memory-saving heap. With `--optimize-for-size` V8 lets the old generation grow 2 MB past what the last
// collection kept before it collects again, instead of 8 MB, and grows it more slowly: at 500 tasks about 6 MiB
// of the agent's ~33 MiB of its own memory (BENCHMARKS.md). The price is more collections, which an agent
// that samples its node does not notice, but an evaluator round over thousands of peers (most of whose
// allocation is their reports) takes twice the CPU. So the agent saves memory unless it polls that many peers.
// The heap reads the flag at every collection, so it can be switched while the agent runs: Node leaves V8's
// flags writable after start (v8.setFlagsFromString). With the setting `off` no flag is ever touched.
import { setFlagsFromString } from 'node:v8';

export type MemorySaving = 'auto' | 'on' | 'off';

/** From this many peers on, `auto` leaves memory saving off (BENCHMARKS.md: poll-round with and without it). */
export const MANY_PEERS = 250;

/** Whether the heap should save memory for an agent that polls `peers` peers this round. */
export function memorySavingWanted(setting: MemorySaving, peers: number): boolean {
  return setting === 'on' || (setting === 'auto' && peers < MANY_PEERS);
}

export class MemoryMode {
  private saving: boolean | null = null;

  constructor(
    private readonly setting: MemorySaving,
    private readonly onChange: (saving: boolean, peers: number) => void = () => undefined,
    private readonly setFlags: (flags: string) => void = setFlagsFromString,
  ) {}

  /** Puts the heap in the mode this many peers call for; V8 is told only when the mode changes. */
  fit(peers: number): boolean {
    const want = memorySavingWanted(this.setting, peers);
    if (this.setting === 'off' || want === this.saving) return want;
    this.setFlags(want ? '--optimize-for-size' : '--no-optimize-for-size');
    this.saving = want;
    this.onChange(want, peers);
    return want;
  }
}
