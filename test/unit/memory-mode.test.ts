import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MANY_PEERS,
  maglevOnAtStart,
  MemoryMode,
  memorySavingWanted,
  modeFlags,
  type HeapMode,
  type MemorySaving,
} from '../../src/memory-mode.js';
import { SETTINGS } from '../../src/config.js';

describe('memorySavingWanted', () => {
  it.each([
    ['auto', 0, true],
    ['auto', MANY_PEERS - 1, true],
    ['auto', MANY_PEERS, false],
    ['auto', 5000, false],
    ['on', 5000, true],
    ['off', 0, false],
  ] as [MemorySaving, number, boolean][])('%s with %i peers: %s', (setting, peers, wanted) => {
    expect(memorySavingWanted(setting, peers)).toBe(wanted);
  });
});

describe('MemoryMode', () => {
  function mode(setting: MemorySaving, maglevAtStart = true) {
    const flags: string[] = [];
    const changes: [HeapMode, number][] = [];
    const m = new MemoryMode(
      setting,
      (heap, peers) => changes.push([heap, peers]),
      (f) => flags.push(f),
      maglevAtStart,
    );
    return { m, flags, changes };
  }

  it('tells V8 only when the mode changes: Maglev off while no peer is polled, the heap as the count crosses the line', () => {
    const { m, flags, changes } = mode('auto');
    for (const peers of [0, 0, 3, 3, MANY_PEERS + 10, 4000, 4000, 12, 0]) m.fit(peers);
    expect(flags).toEqual([
      '--optimize-for-size --no-maglev',
      '--optimize-for-size --maglev',
      '--no-optimize-for-size --maglev',
      '--optimize-for-size --maglev',
      '--optimize-for-size --no-maglev',
    ]);
    expect(changes).toEqual([
      [{ saving: true, maglev: false }, 0],
      [{ saving: true, maglev: true }, 3],
      [{ saving: false, maglev: true }, MANY_PEERS + 10],
      [{ saving: true, maglev: true }, 12],
      [{ saving: true, maglev: false }, 0],
    ]);
  });

  it('keeps the heap saving with `on` whatever the peers, Maglev on while it polls any', () => {
    const { m, flags } = mode('on');
    for (const peers of [0, 5000, 1]) expect(m.fit(peers)).toBe(true);
    expect(flags).toEqual(['--optimize-for-size --no-maglev', '--optimize-for-size --maglev']);
  });

  it('never turns Maglev on in an agent started without it', () => {
    const { m, flags } = mode('auto', false);
    for (const peers of [0, 3, 5000, 0]) m.fit(peers);
    expect(flags).toEqual(['--optimize-for-size', '--no-optimize-for-size', '--optimize-for-size']);
  });

  it('never touches V8 with `off`', () => {
    const { m, flags, changes } = mode('off');
    for (const peers of [0, 5000, 1]) expect(m.fit(peers)).toBe(false);
    expect(flags).toEqual([]);
    expect(changes).toEqual([]);
  });
});

describe('modeFlags and maglevOnAtStart', () => {
  it.each([
    [[], '12.4.254.21-node.33', true],
    [['--max-semi-space-size=1'], '13.6.233.17-node.37', true],
    [['--no-maglev'], '13.6.233.17-node.37', false],
    [[], '11.3.244.8-node.33', false],
    [['--maglev'], '11.3.244.8-node.33', true],
    [['--maglev', '--no-maglev'], '13.6.233.17-node.37', false],
  ] as [string[], string, boolean][])('node %j on V8 %s: Maglev on at start %s', (argv, v8, on) => {
    expect(maglevOnAtStart(argv, v8)).toBe(on);
  });

  it('names flags this V8 knows (an unknown one would only be warned about)', () => {
    const known = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    for (const saving of [true, false])
      for (const maglev of [true, false])
        for (const flag of modeFlags({ saving, maglev }, true).split(' ')) {
          expect(known).toContain(`  --${flag.replace(/^--(no-)?/, '')} (`);
        }
  });
});

describe('the threshold as documented', () => {
  it("is the code's in the setting's help and in the README row", () => {
    const setting = SETTINGS.find((s) => s.env === 'SWARM_BALANCE_MEMORY_SAVING')!;
    expect(setting.help).toContain(`polls ${MANY_PEERS} peers or more`);
    const row = readFileSync('README.md', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('| `SWARM_BALANCE_MEMORY_SAVING`'));
    expect(row).toContain(`polls ${MANY_PEERS} peers or more`);
  });
});
