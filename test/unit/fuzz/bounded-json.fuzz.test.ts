// The bounded reader against the one it replaced (test/unit/support/bounded-json-reference.ts): for any
// bytes, any limits and any way of cutting the bytes into chunks, both refuse at the same chunk for the same
// reason with the same message, or both give the same value and the same text (bad UTF-8 and byte order
// marks included).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BoundedJsonReader } from '../../../src/core/bounded-json.js';
import { REPORT_LIMITS, type JsonLimits } from '../../../src/core/report-limits.js';
import { ParseError } from '../../../src/errors.js';
import { nodeReport } from '../../support/fake-peers.js';
import { BoundedJsonReader as ReferenceReader } from '../support/bounded-json-reference.js';
import { runs } from './support.js';

type Outcome = { refused: string; message: string; atChunk: number } | { value: unknown; text: string };

function outcome(reader: BoundedJsonReader | ReferenceReader, chunks: Uint8Array[]): Outcome {
  let at = 0;
  try {
    for (; at < chunks.length; at++) reader.push(chunks[at]!);
    return reader.parseWithText();
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    return { refused: err.reason, message: err.message, atChunk: at };
  }
}

/** `bytes` cut at the given offsets (taken modulo its length), in order. */
function cut(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const at = [...new Set(offsets.map((o) => (bytes.length === 0 ? 0 : o % (bytes.length + 1))))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let from = 0;
  for (const to of at) {
    chunks.push(bytes.subarray(from, to));
    from = to;
  }
  chunks.push(bytes.subarray(from));
  return chunks;
}

const enc = (s: string) => new TextEncoder().encode(s);
const BOM = [0xef, 0xbb, 0xbf];

/** Bytes that change the scan's state, end or start UTF-8 sequences, or are never valid UTF-8. */
const SPECIAL = [
  0x22, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x20, 0x30, 0x39, 0x2d, 0x2e, 0x65, 0x74, 0x6e, 0x75, 0x00, 0x0a,
  0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xbb, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f,
];
const byte = fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 }));

/** JSON text with any characters (multi-byte and lone surrogates too), or a real report. */
const jsonText = fc.oneof(
  fc.json({ maxDepth: 4, stringUnit: 'grapheme' }),
  fc.json({ maxDepth: 3, stringUnit: 'binary' }),
  fc.json({ maxDepth: 8 }),
  fc.constantFrom(
    JSON.stringify(nodeReport({ node: 3, tasks: 2 })),
    JSON.stringify({ s: 'q"uo\\te\u00e9\u4e2d\ud83d\ude00', e: '\\\\\\"', n: [1.5e3, -2, true, false, null] }),
  ),
);

/** JSON damaged byte by byte: a special byte put in, taken out or written over, somewhere. */
const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), byte });
const damagedJson = fc.tuple(jsonText, fc.array(edit, { maxLength: 4 })).map(([text, edits]) => {
  const b = [...enc(text)];
  for (const e of edits) {
    const i = e.at % (b.length + 1);
    if (e.kind === 'insert') b.splice(i, 0, e.byte);
    else if (i < b.length) b.splice(i, 1, ...(e.kind === 'replace' ? [e.byte] : []));
  }
  return b;
});

const body = fc
  .tuple(
    fc.oneof(
      jsonText.map((t) => [...enc(t)]),
      damagedJson,
      fc.array(byte, { maxLength: 60 }),
    ),
    fc.boolean(),
  )
  .map(([b, bom]) => new Uint8Array(bom ? [...BOM, ...b] : b));

/** Small limits so every refusal is reached, or the report's own. */
const limits: fc.Arbitrary<JsonLimits> = fc.oneof(
  fc.record({
    maxBytes: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.constant(REPORT_LIMITS.maxBytes)),
    maxDepth: fc.integer({ min: 0, max: 6 }),
    maxEntries: fc.integer({ min: 1, max: 8 }),
    maxValues: fc.integer({ min: 1, max: 60 }),
    maxStringBytes: fc.integer({ min: 0, max: 24 }),
    maxNumberBytes: fc.integer({ min: 1, max: 12 }),
  }),
  fc.constant(REPORT_LIMITS),
);

const cuts = fc.oneof(
  fc.array(fc.nat(), { maxLength: 12 }),
  fc.integer({ min: 1, max: 5 }).map((k) => [-k]),
);

/** Offsets of a cut: random ones, or every k bytes when given as [-k]. */
function chunksOf(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  if (offsets.length === 1 && offsets[0]! < 0) {
    const k = -offsets[0]!;
    return Array.from({ length: Math.ceil(bytes.length / k) }, (_, i) => bytes.subarray(i * k, i * k + k));
  }
  return cut(bytes, offsets);
}

describe('BoundedJsonReader against the reader it replaced', () => {
  it('refuses at the same chunk for the same reason, or reads the same value and text', () => {
    fc.assert(
      fc.property(body, limits, cuts, (bytes, l, offsets) => {
        const chunks = chunksOf(bytes, offsets);
        expect(outcome(new BoundedJsonReader(l), chunks)).toEqual(outcome(new ReferenceReader(l), chunks));
      }),
      runs(4000),
    );
  });

  it('agrees on strings and numbers at their length limit, wherever the chunks split them', () => {
    const l: JsonLimits = { ...REPORT_LIMITS, maxStringBytes: 8, maxNumberBytes: 4 };
    const strings = fc.array(fc.constantFrom('a', '\\"', '\\\\', '\\u00e9', 'é', '中', '😀', '"', '\\'), {
      maxLength: 9,
    });
    const number = fc.array(fc.constantFrom('1', '-', '.', 'e', '9'), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(strings, strings, number, cuts, (a, k, n, offsets) => {
        const chunks = chunksOf(enc(`{"${k.join('')}":["${a.join('')}",${n.join('')}]}`), offsets);
        expect(outcome(new BoundedJsonReader(l), chunks)).toEqual(outcome(new ReferenceReader(l), chunks));
      }),
      runs(3000),
    );
  });

  it('reads a large report whatever mix of small and large chunks it comes in, as the old reader did', () => {
    const bytes = enc(JSON.stringify(nodeReport({ node: 4, tasks: 60, services: 30, role: 'manager' })));
    expect(bytes.length).toBeGreaterThan(4 * 16 * 1024);
    const same = (chunks: Uint8Array[]) => {
      const now = outcome(new BoundedJsonReader(REPORT_LIMITS), chunks);
      expect(now).toEqual(outcome(new ReferenceReader(REPORT_LIMITS), chunks));
      expect('text' in now && now.text.length).toBe(bytes.length);
    };
    for (const size of [1, 999, 1024, 16 * 1024, 40_000]) {
      same(chunksOf(bytes, [-size]));
      same(chunksOf(bytes, [-size]).map((c) => c.slice()));
    }
    // Cuts close together (chunks under 1 KiB, copied) and far apart (kept as they are), in any order.
    const near = fc.array(fc.integer({ min: 1, max: 2048 }), { maxLength: 40 });
    const offsets = fc.tuple(near, fc.array(fc.nat({ max: bytes.length }), { maxLength: 6 })).map(([steps, far]) => {
      let at = 0;
      return [...steps.map((s) => (at += s)), ...far];
    });
    // Views into the whole body (copied when kept) or each chunk its own buffer (kept as it is), as undici gives them.
    fc.assert(
      fc.property(offsets, fc.boolean(), (o, own) => same(cut(bytes, o).map((c) => (own ? c.slice() : c)))),
      runs(200),
    );
  });

  it('reads multi-byte characters, bad bytes and byte order marks across 64 KiB chunks as the old reader did', () => {
    const filler = enc(JSON.stringify('x'.repeat(3000)));
    const around = [...enc('"é中😀'), 0xef, 0xbb, 0xbf, 0xf0, 0x9f, 0x98, 0x80, 0xe4, 0xb8, 0xc3, 0x80, 0x80, 0x22];
    for (let shift = 0; shift < 16; shift++) {
      // `around` starts `shift + 8` bytes before the second chunk.
      const parts: number[] = [...BOM, 0x5b];
      const start = 64 * 1024 - shift - 8;
      while (parts.length + filler.length + 100 < start) parts.push(...filler, 0x2c);
      parts.push(...enc(JSON.stringify('y'.repeat(start - parts.length - 3))), 0x2c);
      expect(parts.length).toBe(start);
      parts.push(...around, 0x2c, ...filler, 0x5d);
      const bytes = new Uint8Array(parts);
      const chunks = chunksOf(bytes, [-65_536]);
      const limits = { ...REPORT_LIMITS, maxEntries: 1000 };
      const now = outcome(new BoundedJsonReader(limits), chunks);
      expect(now).toHaveProperty('text');
      expect(now).toEqual(outcome(new ReferenceReader(limits), chunks));
    }
  });
});
