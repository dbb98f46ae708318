// parseDuration on generated `1h2m3s4ms` forms (whose sum we know) and on junk.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/core/duration.js';
import { HOSTILE_NUMBERS, junkText, runs } from './support.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const unit = fc.constantFrom(...(Object.keys(UNIT_MS) as (keyof typeof UNIT_MS)[]));
const blank = fc.constantFrom('', ' ', '\t', '\n', ' \r\n');
/** A decimal as operators write it: `5`, `007`, `1.25`; never `.5` or `5.`. */
const decimal = fc
  .tuple(
    fc.oneof(fc.nat({ max: 100 }), fc.nat({ max: 1e6 })),
    fc.option(fc.stringMatching(/^\d{1,3}$/), { nil: undefined }),
    fc.boolean(),
  )
  .map(([n, frac, pad]) => `${pad ? '0' : ''}${n}${frac === undefined ? '' : `.${frac}`}`);

describe('parseDuration', () => {
  it('reads any run of number-unit parts as the rounded sum of its parts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(decimal, unit), { minLength: 1, maxLength: 6 }),
        blank,
        blank,
        (parts, before, after) => {
          const expected = Math.round(parts.reduce((sum, [n, u]) => sum + Number(n) * UNIT_MS[u], 0));
          expect(parseDuration(`${before}${parts.map(([n, u]) => n + u).join('')}${after}`)).toBe(expected);
        },
      ),
      runs(2000),
    );
  });

  it('reads a plain number as seconds', () => {
    fc.assert(
      fc.property(decimal, blank, (n, around) => {
        expect(parseDuration(`${around}${n}${around}`)).toBe(Math.round(Number(n) * 1000));
      }),
      runs(1000),
    );
  });

  const durationish = fc
    .array(
      fc.oneof(
        fc.stringMatching(/^\d{1,6}$/),
        unit,
        fc.constantFrom(...HOSTILE_NUMBERS, '.', ' ', '-', '+', 'e', 'S', 'M', 'µs', 'ns', '_', '١'),
      ),
      { maxLength: 6 },
    )
    .map((parts) => parts.join(''));

  it('answers null or a whole non-negative number of milliseconds for any text, and never throws', () => {
    fc.assert(
      fc.property(fc.oneof(junkText(), durationish), (text) => {
        const ms = parseDuration(text);
        if (ms !== null) expect(Number.isSafeInteger(ms) && ms >= 0, `${JSON.stringify(text)} -> ${ms}`).toBe(true);
      }),
      runs(2000),
    );
  });

  it.each([
    ['a number of 400 digits', '9'.repeat(400)],
    ['400 digits of seconds', `${'9'.repeat(400)}s`],
  ])('answers null, not Infinity, for %s', (_what, text) => {
    expect(parseDuration(text)).toBeNull();
  });
});
