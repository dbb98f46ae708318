// V8's memory-saving heap. With `--optimize-for-size` V8 lets the old generation grow 2 MB past what the last
// collection kept before it collects again, instead of 8 MB, and grows it more slowly: at 500 tasks about 6 MiB
// of the agent's ~33 MiB of its own memory (BENCHMARKS.md). The price is more collections, which an agent
// that samples its node does not notice, but an evaluator round over thousands of peers (most of whose
// allocation is their reports) takes twice the CPU. So the agent saves memory unless it polls that many peers.
// The heap reads the flag at every collection, so it can be switched while the agent runs: Node leaves V8's
// flags writable after start (v8.setFlagsFromString). With the setting `off` no flag is ever touched.
// An agent that polls no peers (every worker's) also runs without Maglev, V8's mid-tier compiler: ~1 MiB
// less at 500 tasks (its code's pages and compile zones), and hot code still reaches TurboFan. Judging
// peers' reports does pay for Maglev (~25 ms of CPU per round at 200 peers), so it is on while the agent
// polls any. The tiering reads the flag when it decides, so it too switches at run time; an agent started
// with --no-maglev never has it turned on.
import { setFlagsFromString } from 'node:v8';

export type MemorySaving = 'auto' | 'on' | 'off';

/** From this many peers on, `auto` leaves memory saving off (BENCHMARKS.md: poll-round with and without it). */
export const MANY_PEERS = 250;

/** Whether the heap should save memory for an agent that polls `peers` peers this round. */
export function memorySavingWanted(setting: MemorySaving, peers: number): boolean {
  return setting === 'on' || (setting === 'auto' && peers < MANY_PEERS);
}

export interface HeapMode {
  /** V8's memory-saving heap (--optimize-for-size). */
  saving: boolean;
  /** Maglev, V8's mid-tier compiler. */
  maglev: boolean;
}

/** The mode for an agent that polls `peers` peers this round, Maglev as it was at start unless it saves memory. */
export function wantedMode(setting: MemorySaving, peers: number, maglevAtStart: boolean): HeapMode {
  const saving = memorySavingWanted(setting, peers);
  return { saving, maglev: maglevAtStart && !(saving && peers === 0) };
}

/** The V8 flags for a mode; Maglev is named only where it was on at start. */
export function modeFlags(mode: HeapMode, maglevAtStart: boolean): string {
  const heap = mode.saving ? '--optimize-for-size' : '--no-optimize-for-size';
  return maglevAtStart ? `${heap} ${mode.maglev ? '--maglev' : '--no-maglev'}` : heap;
}

/**
 * Whether Maglev was on when the process started: node --no-maglev or --maglev says so, else the V8 of the
 * runtime (on by default from V8 12, Node 22; off in Node 20's V8 11.3, where it must stay off).
 */
export function maglevOnAtStart(
  execArgv: readonly string[] = process.execArgv,
  v8Version: string = process.versions.v8,
): boolean {
  // The last of the two on the command line wins, as in V8.
  const at = Math.max(execArgv.lastIndexOf('--maglev'), execArgv.lastIndexOf('--no-maglev'));
  return at >= 0 ? execArgv[at] === '--maglev' : Number(v8Version.split('.')[0]) >= 12;
}

export class MemoryMode {
  private mode: HeapMode | null = null;

  constructor(
    private readonly setting: MemorySaving,
    private readonly onChange: (mode: HeapMode, peers: number) => void = () => undefined,
    private readonly setFlags: (flags: string) => void = setFlagsFromString,
    private readonly maglevAtStart: boolean = maglevOnAtStart(),
  ) {}

  /** Puts V8 in the mode this many peers call for, told only when the mode changes; true when it saves memory. */
  fit(peers: number): boolean {
    const want = wantedMode(this.setting, peers, this.maglevAtStart);
    if (this.setting === 'off') return false;
    if (this.mode?.saving === want.saving && this.mode.maglev === want.maglev) return want.saving;
    this.setFlags(modeFlags(want, this.maglevAtStart));
    this.mode = want;
    this.onChange(want, peers);
    return want.saving;
  }
}
