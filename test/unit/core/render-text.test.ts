import { describe, expect, it } from 'vitest';
import { cutText } from '../../../src/core/render-text.js';

describe('cutText', () => {
  it.each([
    ['short text', 'digest', 10, 'digest'],
    ['text exactly at the limit', 'abcde', 5, 'abcde'],
    ['text one past the limit', 'abcdef', 5, 'abcd…'],
    ['a long line', 'x'.repeat(50), 8, 'xxxxxxx…'],
  ])('keeps or cuts %s, ending a cut one in "…"', (_what, text, max, expected) => {
    expect(cutText(text, max)).toBe(expected);
    expect(cutText(text, max).length).toBeLessThanOrEqual(max);
  });

  it('counts UTF-16 code units, as the channels whose limits it applies count them', () => {
    expect(cutText('😀😀😀', 5)).toBe('😀😀…');
    expect(cutText('😀😀😀', 6)).toBe('😀😀😀');
    // A cut inside a pair drops the whole character: never half an emoji.
    expect(cutText('😀😀😀', 4)).toBe('😀…');
    expect(cutText('a😀😀', 3)).toBe('a…');
    expect(cutText('a😀😀', 4)).toBe('a😀…');
  });
});
