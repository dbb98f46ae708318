// The bounded reader refuses a body at the first byte past a limit, whatever its shape, and reads every
// real report whole, however its bytes are split into chunks.
import { describe, expect, it } from 'vitest';
import { BoundedJsonReader } from '../../../src/core/bounded-json.js';
import { REPORT_LIMITS, REPORT_MAX_BYTES } from '../../../src/core/report-limits.js';
import { createReportReader, readNodeReport } from '../../../src/core/report-reader.js';
import { ParseError } from '../../../src/errors.js';
import { nodeReport } from '../../support/fake-peers.js';

const enc = (s: string) => new TextEncoder().encode(s);

/** Feeds `body` in chunks of `size` bytes; returns the reason it was refused, or 'ok' with the value. */
function read(
  body: Uint8Array,
  size = 65_536,
  limits = REPORT_LIMITS,
): { reason: string; at?: number; value?: unknown } {
  const reader = new BoundedJsonReader(limits);
  let at = 0;
  try {
    for (; at < body.length; at += size) reader.push(body.subarray(at, at + size));
    return { reason: 'ok', value: reader.parse() };
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { reason: err.reason, at };
  }
}

const MB16 = 16 * 1024 * 1024;
const hostile: [string, string, () => string][] = [
  ['nested brackets', 'too_deep', () => '['.repeat(MB16)],
  ['nested objects', 'too_deep', () => '{"a":'.repeat(MB16 / 5)],
  ['a huge array of numbers', 'too_many_entries', () => `{"tasks":[${'0,'.repeat(MB16 / 2 - 16)}0]}`],
  ['a huge object', 'too_many_entries', () => `{${'"k":0,'.repeat(MB16 / 6 - 2)}"k":0}`],
  [
    'many arrays of the most entries allowed',
    'too_many_values',
    () => `[${`[${'0,'.repeat(REPORT_LIMITS.maxEntries - 2)}0],`.repeat(200)}[]]`,
  ],
  ['a long string', 'string_too_long', () => `{"version":1,"node":{"name":"${'x'.repeat(MB16 - 40)}"}}`],
  ['a long string of escapes', 'string_too_long', () => `["${'\\"'.repeat(MB16 / 2 - 4)}"]`],
  ['a long key', 'string_too_long', () => `{"${'k'.repeat(MB16 - 10)}":1}`],
  ['a long number', 'number_too_long', () => `[${'9'.repeat(MB16 - 2)}]`],
  ['16 MB of whitespace', 'too_large', () => ' '.repeat(MB16)],
  ['a closing bracket first', 'invalid_json', () => ']'],
];

describe('BoundedJsonReader', () => {
  it.each(hostile)('refuses %s as %s long before the body ends', (_what, reason, make) => {
    const body = enc(make());
    const result = read(body);
    expect(result.reason).toBe(reason);
    // Nothing past the size cap is ever read, and shape limits stop far earlier.
    expect(result.at!).toBeLessThanOrEqual(REPORT_MAX_BYTES);
    if (reason !== 'too_large' && reason !== 'too_many_values') expect(result.at!).toBeLessThan(1024 * 1024);
  });

  it.each([1, 7, 4096, 65_536])('reads a 2,000-task report whole in chunks of %i bytes', (size) => {
    const report = nodeReport({ node: 3, tasks: 2000, role: 'manager', services: 40 });
    const body = enc(JSON.stringify(report));
    expect(body.length).toBeLessThan(REPORT_MAX_BYTES);
    if (size === 1) {
      const reader = createReportReader();
      for (let i = 0; i < body.length; i += 1) reader.push(body.subarray(i, i + 1));
      expect(reader.finish().tasks).toHaveLength(2000);
      return;
    }
    const out = read(body, size);
    expect(out.reason).toBe('ok');
    expect(out.value).toEqual(JSON.parse(JSON.stringify(report)));
  });

  it('keeps strings with escapes, quotes and multi-byte characters split across chunks intact', () => {
    const value = { a: 'q"uo\\te\u00e9\u4e2d\ud83d\ude00', b: [1.5e3, -2, true, false, null], 'k"ey': {} };
    for (const size of [1, 2, 3, 5]) expect(read(enc(JSON.stringify(value)), size)).toEqual({ reason: 'ok', value });
  });

  it('skips a UTF-8 byte order mark, as undici does', () => {
    const body = new Uint8Array([0xef, 0xbb, 0xbf, ...enc('{"a":1}')]);
    expect(read(body, 2)).toEqual({ reason: 'ok', value: { a: 1 } });
  });

  it('refuses a body within the limits that is not JSON as invalid_json', () => {
    expect(read(enc('{"a":1')).reason).toBe('invalid_json');
    expect(read(enc('{"a" 1}')).reason).toBe('invalid_json');
  });

  it('counts brackets inside strings as text, not nesting', () => {
    expect(read(enc(JSON.stringify({ s: '['.repeat(3000) })))).toEqual({
      reason: 'ok',
      value: { s: '['.repeat(3000) },
    });
  });

  it('checks the report shape once the body is read', () => {
    expect(() => readNodeReport('{"version":2}')).toThrow(ParseError);
    expect(readNodeReport(JSON.stringify(nodeReport({ node: 1, tasks: 3 }))).tasks).toHaveLength(3);
  });

  it('derives the size cap from what a node can hold, with room for a full node', () => {
    const full = enc(
      JSON.stringify(nodeReport({ node: 9, tasks: 2500, role: 'manager', services: 2500, serviceCount: 2500 })),
    );
    expect(full.length).toBeLessThan(REPORT_MAX_BYTES);
    expect(read(full).reason).toBe('ok');
  });
});
