// How V8 runs the agent (SWARM_BALANCE_RUNTIME). Most agents sample their node's tasks and answer scrapes:
// for them V8's middle compiler tier (Maglev) costs more memory than it saves CPU (about 6 MiB of RSS at
// 500 tasks, BENCHMARKS.md); their hot code still ends in TurboFan, and sampling costs the same. An agent
// that judges a large swarm wants it back: without Maglev a 5,000-peer round takes ~1.5x the CPU. So `auto`
// starts lean and restores V8's defaults, for the rest of the process, before the first round that asks
// LARGE_ROUND_PEERS peers or more. Flags set while running reach the functions compiled after them, and the
// poll's and the judging's hot code first runs after the switch. (`--optimize-for-size` would save ~6 MiB
// more but costs sampling ~25 % more CPU in garbage collection; it is not used.)
import { setFlagsFromString } from 'node:v8';

export type RuntimeMode = 'auto' | 'lean' | 'node';

/** Maglev is on by default from V8 12 (Node 22); on Node 20's V8 it is off and stays off. */
export const maglevByDefault = (v8Version: string = process.versions.v8): boolean =>
  Number(v8Version.split('.')[0]) >= 12;

/** No Maglev: code runs in the interpreter and the baseline tier until TurboFan takes it (nothing to do on Node 20). */
export function leanFlags(v8Version?: string): string[] {
  return maglevByDefault(v8Version) ? ['--no-maglev'] : [];
}

/** V8's defaults again. */
export function fastFlags(v8Version?: string): string[] {
  return maglevByDefault(v8Version) ? ['--maglev'] : [];
}

/** Peers a round asks from which `auto` restores V8's defaults (the fetch pool's threshold too). */
export const LARGE_ROUND_PEERS = 64;

export class RuntimeTuning {
  private mode: RuntimeMode = 'node';
  private fast = false;

  constructor(
    private readonly setFlags: (flags: string) => void = setFlagsFromString,
    private readonly v8Version: string = process.versions.v8,
  ) {}

  /** Called once at start, before the agent's modules load. `node` leaves V8 as Node set it up. */
  apply(mode: RuntimeMode): void {
    this.mode = mode;
    if (mode !== 'node') for (const f of leanFlags(this.v8Version)) this.setFlags(f);
  }

  /** Before a round that asks `peers` peers: true when this call restored V8's defaults (log it once). */
  noteRound(peers: number): boolean {
    if (this.mode !== 'auto' || this.fast || peers < LARGE_ROUND_PEERS) return false;
    this.fast = true;
    for (const f of fastFlags(this.v8Version)) this.setFlags(f);
    return true;
  }

  /** `lean`: the lean flags are in force. */
  state(): { mode: RuntimeMode; lean: boolean } {
    return { mode: this.mode, lean: this.mode !== 'node' && !this.fast };
  }
}

/** The process's own: V8's flags are process-wide. */
export const runtimeTuning = new RuntimeTuning();
