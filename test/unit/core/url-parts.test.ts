import { describe, expect, it } from 'vitest';
import { urlParts } from '../../../src/core/url-parts.js';

describe('urlParts', () => {
  it('lists the address, its path and query, and the pieces that look like a secret', () => {
    const parts = urlParts(
      'https://hooks.example/services/T0ABC/B0DEF/xYz123secret?api-version=2016-06-01&sig=Ab12Cd34',
    );
    expect(parts).toEqual(
      expect.arrayContaining(['/services/T0ABC/B0DEF/xYz123secret', 'xYz123secret', 'sig=Ab12Cd34', 'Ab12Cd34']),
    );
  });

  it('leaves plain words and dates alone, so ordinary log text is not scrubbed', () => {
    const parts = urlParts(
      'https://hooks.example/services/T0ABC/B0DEF/xYz123secret?api-version=2016-06-01&sig=Ab12Cd34',
    );
    expect(parts).not.toContain('services');
    expect(parts).not.toContain('2016-06-01');
  });

  it('gives back text that is no URL as it is', () => {
    expect(urlParts('not a url')).toEqual(['not a url']);
  });
});
