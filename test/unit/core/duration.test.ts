import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/core/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5000],
    ['1m', 60_000],
    ['1h30m', 5_400_000],
    ['1m30s', 90_000],
    ['2d', 172_800_000],
    ['1.5s', 1500],
    ['0.5ms', 1],
    ['30', 30_000],
    ['2.5', 2500],
    ['0', 0],
    ['  5s  ', 5000],
  ])('reads %s as %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', 's', '-5s', '5 s', '5S', '5sec', '1h 30m', 'five', '5s!', '.5s', '1e3ms'])(
    'reads %j as not a duration',
    (text) => {
      expect(parseDuration(text)).toBeNull();
    },
  );
});

describe('formatDuration', () => {
  it.each([
    [250, '250ms'],
    [1000, '1s'],
    [59_000, '59s'],
    [119_000, '119s'],
    [120_000, '2m'],
    [150_000, '2m30s'],
    [3_600_000, '60m'],
    [7_200_000, '2h'],
    [9_000_000, '2h30m'],
  ])('prints %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('prints whole seconds below two hours so that parseDuration reads them back exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 7199 }), (s) => parseDuration(formatDuration(s * 1000)) === s * 1000),
      { seed: 20261126 },
    );
  });
});
