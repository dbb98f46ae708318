// compareSlots (fast path and collator) orders as Intl.Collator('en', { numeric: true }) does, with or without its fast path.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareSlots } from '../../../src/core/order.js';

const collator = new Intl.Collator('en', { numeric: true });
const sign = (n: number) => Math.sign(n);
const plain = fc.stringMatching(/^[0-9a-z_.-]{0,12}$/);
const digitsAndLetters = fc.stringMatching(/^(?:[0-9]{1,4}|[a-z]{1,3}|[_.-]|0+[0-9]?)*$/);
const anything = fc.string({ unit: 'grapheme', maxLength: 8 });

describe('compareSlots', () => {
  it('puts 2 before 10 and digits before letters', () => {
    expect(['10', '2', '1', 'b', 'a2', 'a10'].sort(compareSlots)).toEqual(['1', '2', '10', 'a2', 'a10', 'b']);
  });

  it('agrees with the collator on digits, lowercase letters, _, - and .', () => {
    fc.assert(
      fc.property(fc.oneof(plain, digitsAndLetters), fc.oneof(plain, digitsAndLetters), (a, b) => {
        expect(sign(compareSlots(a, b))).toBe(sign(collator.compare(a, b)));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the collator on any text (which goes to the collator)', () => {
    fc.assert(
      fc.property(fc.oneof(anything, plain), anything, (a, b) => {
        expect(sign(compareSlots(a, b))).toBe(sign(collator.compare(a, b)));
        expect(sign(compareSlots(b, a))).toBe(sign(collator.compare(b, a)));
      }),
      { numRuns: 1000 },
    );
  });

  it('compares node ids and replica numbers the way the collator does', () => {
    const ids = [
      'worker-10',
      'worker-2',
      'worker.2',
      'worker_2',
      'manager-1',
      'x3k9q2m1z8w7v6u5t4s3r2p1o',
      'a0b1c2',
      '9z',
      'z9',
      '100',
      '99',
      'abc',
      'ab',
      '',
    ];
    for (const a of ids) for (const b of ids) expect(sign(compareSlots(a, b))).toBe(sign(collator.compare(a, b)));
  });
});
