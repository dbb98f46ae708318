import { describe, expect, it } from 'vitest';
import { MANY_PEERS, MemoryMode, memorySavingWanted, type MemorySaving } from '../../src/memory-mode.js';

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
  function mode(setting: MemorySaving) {
    const flags: string[] = [];
    const changes: [boolean, number][] = [];
    const m = new MemoryMode(
      setting,
      (saving, peers) => changes.push([saving, peers]),
      (f) => flags.push(f),
    );
    return { m, flags, changes };
  }

  it('tells V8 only when the mode changes, as the peer count crosses the line', () => {
    const { m, flags, changes } = mode('auto');
    for (const peers of [0, 3, 3, MANY_PEERS + 10, 4000, 4000, 12, 0]) m.fit(peers);
    expect(flags).toEqual(['--optimize-for-size', '--no-optimize-for-size', '--optimize-for-size']);
    expect(changes).toEqual([
      [true, 0],
      [false, MANY_PEERS + 10],
      [true, 12],
    ]);
  });

  it('stays on with `on` whatever the peers', () => {
    const { m, flags } = mode('on');
    for (const peers of [0, 5000, 1]) expect(m.fit(peers)).toBe(true);
    expect(flags).toEqual(['--optimize-for-size']);
  });

  it('never touches V8 with `off`', () => {
    const { m, flags, changes } = mode('off');
    for (const peers of [0, 5000, 1]) expect(m.fit(peers)).toBe(false);
    expect(flags).toEqual([]);
    expect(changes).toEqual([]);
  });
});
