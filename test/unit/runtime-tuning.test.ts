// SWARM_BALANCE_RUNTIME: which V8 flags the agent sets on itself, and that V8 takes them while running.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { runtimeModeOf } from '../../src/runtime-start.js';
import { LARGE_ROUND_PEERS, RuntimeTuning, fastFlags, leanFlags, maglevByDefault } from '../../src/runtime-tuning.js';

function recorded(mode: 'auto' | 'lean' | 'node') {
  const set: string[] = [];
  const tuning = new RuntimeTuning((f) => set.push(f), '13.6.233.17-node.37');
  tuning.apply(mode);
  return { tuning, set };
}

describe('RuntimeTuning', () => {
  it('leaves V8 alone with `node`, also for a large swarm', () => {
    const { tuning, set } = recorded('node');
    expect(tuning.noteRound(5000)).toBe(false);
    expect(set).toEqual([]);
    expect(tuning.state()).toEqual({ mode: 'node', lean: false });
  });

  it('stays lean with `lean` whatever the swarm', () => {
    const { tuning, set } = recorded('lean');
    expect(tuning.noteRound(5000)).toBe(false);
    expect(set).toEqual(['--no-maglev']);
    expect(tuning.state()).toEqual({ mode: 'lean', lean: true });
  });

  it('restores V8 defaults in `auto` once, at the first round of LARGE_ROUND_PEERS peers', () => {
    const { tuning, set } = recorded('auto');
    expect(tuning.noteRound(LARGE_ROUND_PEERS - 1)).toBe(false);
    expect(tuning.state().lean).toBe(true);
    expect(tuning.noteRound(LARGE_ROUND_PEERS)).toBe(true);
    expect(tuning.noteRound(5000)).toBe(false);
    expect(set).toEqual(['--no-maglev', '--maglev']);
    expect(tuning.state()).toEqual({ mode: 'auto', lean: false });
  });

  it('touches Maglev only where it is a default (not on Node 20, whose V8 ships it off)', () => {
    expect([leanFlags('11.3.244.8-node.38'), fastFlags('11.3.244.8-node.38')]).toEqual([[], []]);
    expect([leanFlags('13.6.233.17-node.37'), fastFlags('13.6.233.17-node.37')]).toEqual([
      ['--no-maglev'],
      ['--maglev'],
    ]);
  });
});

// The flags are set while the process runs; this checks in a real Node process that a function made after
// each step is compiled by the tiers the step names (V8's own optimisation status: bit 5 Maglev, bit 6
// TurboFan, read after every call). The module is transpiled to plain JS for the child, which runs it as the
// agent does; TurboFan compiles on the main thread there so that it cannot overtake Maglev.
const probe = `
import { RuntimeTuning } from './runtime-tuning.mjs';
const status = (f) => new Function('f', 'return %GetOptimizationStatus(f)')(f);
const tiers = () => {
  const f = new Function('a', 'let s = 0; for (let i = 0; i < a.length; i++) s = (s + a[i]) | 0; return s;');
  const a = new Uint8Array(256);
  let bits = 0;
  for (let k = 0; k < 5000; k++) { f(a); bits |= status(f); }
  return { maglev: (bits & 32) !== 0, turbofan: (bits & 64) !== 0 };
};
const tuning = new RuntimeTuning();
tuning.apply('auto');
const lean = tiers();
tuning.noteRound(5000);
console.log(JSON.stringify({ lean, fast: tiers() }));
`;

describe('RuntimeTuning in a running Node', () => {
  it('compiles without Maglev while lean and with V8 defaults after the switch; TurboFan all along', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-runtime-'));
    try {
      const source = readFileSync(new URL('../../src/runtime-tuning.ts', import.meta.url), 'utf8');
      const js = ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText;
      writeFileSync(join(dir, 'runtime-tuning.mjs'), js);
      writeFileSync(join(dir, 'probe.mjs'), probe);
      const out = spawnSync(
        process.execPath,
        ['--allow-natives-syntax', '--no-concurrent-recompilation', join(dir, 'probe.mjs')],
        { encoding: 'utf8', timeout: 60_000 },
      );
      expect(out.stderr).toBe('');
      expect(JSON.parse(out.stdout)).toEqual({
        lean: { maglev: false, turbofan: true },
        fast: { maglev: maglevByDefault(), turbofan: true },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('runtimeModeOf (read before the agent loads)', () => {
  it.each([
    [[], {}, 'auto'],
    [[], { SWARM_BALANCE_RUNTIME: 'node' }, 'node'],
    [['--runtime=lean'], { SWARM_BALANCE_RUNTIME: 'node' }, 'lean'],
    [['--runtime', 'node'], {}, 'node'],
    [[], { SWARM_BALANCE_RUNTIME: 'fast' }, null],
    [['--runtime=x'], {}, null],
  ] as const)('%j with %j is %s', (argv, env, mode) => {
    expect(runtimeModeOf(argv, env)).toBe(mode);
  });
});
