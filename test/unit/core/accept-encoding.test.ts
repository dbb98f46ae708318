import { describe, expect, it } from 'vitest';
import { acceptsGzip } from '../../../src/core/accept-encoding.js';

describe('acceptsGzip', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['deflate, GZIP', true],
    ['x-gzip', true],
    ['*', true],
    ['gzip;q=0.5', true],
    ['gzip; q=1.0', true],
    ['identity', false],
    ['', false],
    ['gzip;q=0', false],
    ['gzip;q=0.000', false],
    ['*;q=0', false],
    ['*, gzip;q=0', false],
    ['gzip;q=0, *', false],
    ['deflate, br', false],
    ['gzipx', false],
  ])('%j -> %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });

  it('reads a header given more than once', () => {
    expect(acceptsGzip(['deflate', 'gzip'])).toBe(true);
  });

  it('answers uncompressed to a missing header or one past 1 KiB', () => {
    expect(acceptsGzip(undefined)).toBe(false);
    expect(acceptsGzip(`${'x, '.repeat(400)}gzip`)).toBe(false);
  });
});
