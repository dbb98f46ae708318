// Imported first by cli.ts: the V8 tuning (src/runtime-tuning.ts) has to be in force before the rest of the
// agent loads, or V8 has already compiled the start-up's busiest code with the tiers it would leave out
// (applied after the imports, the lean setting saved ~1 MiB instead of ~6). Reads the setting the way
// config.ts does (`--runtime` on the command line, then SWARM_BALANCE_RUNTIME); a value config.ts would
// refuse is left for it to refuse, with V8 untouched.
import { runtimeTuning, type RuntimeMode } from './runtime-tuning.js';

const MODES: readonly string[] = ['auto', 'lean', 'node'] satisfies RuntimeMode[];

export function runtimeModeOf(argv: readonly string[], env: NodeJS.ProcessEnv): RuntimeMode | null {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--runtime') value = argv[i + 1];
    else if (a.startsWith('--runtime=')) value = a.slice('--runtime='.length);
  }
  value ??= env.SWARM_BALANCE_RUNTIME?.trim() || 'auto';
  return MODES.includes(value) ? (value as RuntimeMode) : null;
}

const mode = process.argv[2] === 'agent' ? runtimeModeOf(process.argv.slice(3), process.env) : null;
if (mode) runtimeTuning.apply(mode);
