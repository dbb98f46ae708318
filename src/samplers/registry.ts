// Runs every enabled sampler each cycle with Promise.allSettled, so one failing source never breaks a cycle.
import type { Logger } from 'pino';
import { errorMessage } from '../errors.js';
import type { TaskRef } from '../core/types.js';
import type { SampledCounters, Sampler } from './types.js';

export interface SamplerRun {
  name: string;
  success: boolean;
  durationSeconds: number;
  /** Problems this cycle, by reason. */
  problems: Map<string, number>;
}

export interface CycleResult {
  counters: Map<string, SampledCounters>;
  runs: SamplerRun[];
}

export class SamplerRegistry {
  private readonly logged = new Set<string>();

  constructor(
    private readonly samplers: readonly Sampler[],
    private readonly logger: Logger,
  ) {}

  get names(): string[] {
    return this.samplers.map((s) => s.name);
  }

  async run(tasks: readonly TaskRef[]): Promise<CycleResult> {
    const counters = new Map<string, SampledCounters>();
    const settled = await Promise.allSettled(
      this.samplers.map(async (sampler) => {
        const started = performance.now();
        const out = await sampler.sample(tasks);
        return { out, durationSeconds: (performance.now() - started) / 1000 };
      }),
    );
    const runs = settled.map((result, i): SamplerRun => {
      const name = this.samplers[i]!.name;
      const problems = new Map<string, number>();
      if (result.status === 'rejected') {
        problems.set('failed', 1);
        this.logOnce(name, 'failed', errorMessage(result.reason));
        return { name, success: false, durationSeconds: 0, problems };
      }
      for (const [taskId, c] of result.value.out.counters) counters.set(taskId, { ...counters.get(taskId), ...c });
      for (const p of result.value.out.errors) {
        problems.set(p.reason, (problems.get(p.reason) ?? 0) + 1);
        this.logOnce(name, p.reason, p.message);
      }
      return { name, success: problems.size === 0, durationSeconds: result.value.durationSeconds, problems };
    });
    return { counters, runs };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.samplers.map((s) => s.close?.()));
  }

  /** The first time a cause shows up it is a warning; repeats go to debug so logs stay readable. */
  private logOnce(sampler: string, reason: string, message: string): void {
    const key = `${sampler}:${reason}`;
    const first = !this.logged.has(key);
    this.logged.add(key);
    this.logger[first ? 'warn' : 'debug'](
      { sampler, reason },
      first ? `${message} (further ${reason} errors of this sampler are logged at debug)` : message,
    );
  }
}
