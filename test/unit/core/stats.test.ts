import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chiSquareSurvival } from '../../../src/core/stats.js';

// Upper-tail critical values from the NIST/SEMATECH e-Handbook, table 1.3.6.7.4, and
// for df >= 1000 the Wilson-Hilferty approximation (good to 1e-5 in p there).
describe('chiSquareSurvival', () => {
  it.each([
    [1, 0.455, 0.5],
    [1, 2.706, 0.1],
    [1, 3.841, 0.05],
    [1, 6.635, 0.01],
    [1, 10.828, 0.001],
    [2, 2, Math.exp(-1)],
    [2, 5.991, 0.05],
    [2, 13.816, 0.001],
    [3, 7.815, 0.05],
    [4, 9.488, 0.05],
    [4, 18.467, 0.001],
    [5, 20.515, 0.001],
    [10, 18.307, 0.05],
    [10, 29.588, 0.001],
    [30, 43.773, 0.05],
    [50, 67.505, 0.05],
    [100, 124.342, 0.05],
    [100, 149.449, 0.001],
    [100, 99.334, 0.5],
    [1000, 1074.679, 0.05],
    [3000, 3245.089, 0.001],
    [10000, 10233.749, 0.05],
  ])('with df=%i at x=%d is %d', (df, x, p) => {
    expect(Math.abs(chiSquareSurvival(x, df) - p)).toBeLessThan(1e-3);
  });

  it.each([
    ['zero', 0],
    ['a negative number', -3],
    ['NaN', Number.NaN],
  ])('is 1 at %s', (_what, x) => {
    expect(chiSquareSurvival(x, 3)).toBe(1);
  });

  it.each([
    [1, 200],
    [7, 1e4],
    [500, 5e4],
  ])('is a tiny non-negative number far in the tail (df=%i, x=%d)', (df, x) => {
    const p = chiSquareSurvival(x, df);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(p).toBeLessThan(1e-12);
  });

  it('is a probability that falls as x grows, for any df', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.double({ min: 0.001, max: 2000, noNaN: true }),
        fc.double({ min: 0.001, max: 50, noNaN: true }),
        (df, x, dx) => {
          const a = chiSquareSurvival(x, df);
          const b = chiSquareSurvival(x + dx, df);
          return a >= 0 && a <= 1 && b >= 0 && b <= 1 && b <= a + 1e-12;
        },
      ),
      { seed: 99, numRuns: 1000 },
    );
  });
});
