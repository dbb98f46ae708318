// Slots sort as numbers where they are numbers ("2" before "10"), as names where they are node names.
import { describe, expect, it } from 'vitest';
import { compareSlots } from '../../../src/core/order.js';

describe('compareSlots', () => {
  it.each<[string[], string[]]>([
    [
      ['10', '2', '1', '33', '3'],
      ['1', '2', '3', '10', '33'],
    ],
    [
      ['worker-10', 'worker-2', 'manager-1'],
      ['manager-1', 'worker-2', 'worker-10'],
    ],
    [
      ['shop-web-10', 'shop-web-9', 'shop-web-1'],
      ['shop-web-1', 'shop-web-9', 'shop-web-10'],
    ],
  ])('sorts %j as %j', (slots, sorted) => {
    expect([...slots].sort(compareSlots)).toEqual(sorted);
  });

  it('gives 0 for the same slot and opposite signs for swapped ones', () => {
    expect(compareSlots('7', '7')).toBe(0);
    expect(Math.sign(compareSlots('9', '10'))).toBe(-1);
    expect(Math.sign(compareSlots('10', '9'))).toBe(1);
  });
});
