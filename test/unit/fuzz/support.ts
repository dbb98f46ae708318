// Shared pieces of the fuzz suite: fixed seeds, the "refuse or return" check, hostile inputs.
import fc from 'fast-check';
import { expect } from 'vitest';
import { ParseError } from '../../../src/errors.js';

/** One seed for the whole directory, so CI replays the same cases; change it locally to explore. */
export const SEED = 20261126;

/** fast-check options with the fixed seed. */
export const runs = (numRuns: number): fc.Parameters<unknown> => ({ seed: SEED, numRuns });

/**
 * The read-back property: for every generated file, `parse(text)` gives exactly what the generator put
 * into it (`expected` picks that part of the case), over `numRuns` cases with the fixed seed.
 */
export function assertReadsBack<C extends { text: string }, T>(
  files: fc.Arbitrary<C>,
  parse: (text: string) => T,
  expected: (file: C) => T,
  numRuns: number,
): void {
  fc.assert(
    fc.property(files, (file) => {
      expect(parse(file.text)).toEqual(expected(file));
    }),
    runs(numRuns),
  );
}

/** ParseError reasons each parser may give; any other reason (or any other exception) is a bug. */
export const REASONS = {
  snmp: ['snmp-no-tcp', 'snmp-tcp-truncated', 'snmp-tcp-field'],
  dev: ['dev-header', 'dev-line', 'dev-fields'],
  tcp: ['tcp-header', 'tcp-line', 'tcp-port', 'tcp-address'],
  prom: ['prom-line', 'prom-value', 'prom-missing'],
  stub: ['stub-status'],
  report: ['report-shape'],
} as const;

/**
 * Runs a parser: its value, or `refused` when it threw a ParseError with one of `reasons`.
 * A ParseError with another reason, and every other exception, propagates and fails the property.
 */
export function parseOrRefuse<T>(parse: () => T, reasons: readonly string[]): { value: T } | { refused: string } {
  try {
    return { value: parse() };
  } catch (err) {
    if (err instanceof ParseError) {
      if (reasons.includes(err.reason)) return { refused: err.reason };
      throw new Error(`ParseError with an unknown reason ${JSON.stringify(err.reason)}: ${err.message}`);
    }
    throw err;
  }
}

/** A counter as the kernel and nginx print them: a finite whole number, never negative. */
export function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Random text three ways: any UTF-16 (lone surrogates too), and random bytes read as latin1 and as UTF-8. */
export function junkText(maxLength = 300): fc.Arbitrary<string> {
  return fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('latin1')),
    fc.uint8Array({ maxLength }).map((b) => Buffer.from(b).toString('utf8')),
  );
}

/** Numbers a counter field must not hold, or holds only at the edge: signs, fractions, exponents, hex, overflow. */
export const HOSTILE_NUMBERS = [
  '-1',
  '-0',
  '+5',
  '1.5',
  '0.5',
  '1e3',
  '1e308',
  '1e309',
  '0x1F',
  '0b11',
  'NaN',
  'Infinity',
  '-Infinity',
  '9'.repeat(25),
  '9'.repeat(400),
  '18446744073709551615',
  '18446744073709551616',
] as const;

/** Tokens that break parsing in different ways: the numbers above, blanks, separators, look-alike digits, words. */
export const HOSTILE_TOKENS = [
  ...HOSTILE_NUMBERS,
  '',
  ' ',
  '\t',
  '\r',
  'ZZ',
  ':',
  '0:0',
  '::',
  'Tcp:',
  'lo:',
  '|',
  '\u00a0',
  '\u0660',
  '１',
  'FFFFFFFF',
  '0000000G',
  '1F90',
  '1F9',
  '0A',
  'A',
  '0100007F',
  '00000000000000000000000000000000',
] as const;

/** A string that has each given character class at least sometimes: for label values, HELP texts and the like. */
export function textWith(specials: readonly string[], maxLength = 20): fc.Arbitrary<string> {
  return fc
    .array(fc.oneof(fc.constantFrom(...specials), fc.string({ unit: 'grapheme-ascii', maxLength: 3 })), { maxLength })
    .map((parts) => parts.join(''));
}

/** Line-level damage to a text file: delete, duplicate, swap lines, or replace one whitespace-separated field. */
export type LineEdit =
  | { kind: 'delete' | 'duplicate'; line: number }
  | { kind: 'swap'; line: number; other: number }
  | { kind: 'field'; line: number; field: number; token: string };

// Small indexes (taken modulo the line and field counts) shrink to readable counterexamples; the first
// fields of a line are the ones parsers read most, so they are picked more often.
const index = fc.nat({ max: 63 });
const fieldIndex = fc.oneof(fc.nat({ max: 3 }), fc.nat({ max: 15 }), index);
const token = fc.oneof(
  fc.constantFrom(...HOSTILE_NUMBERS),
  fc.constantFrom(...HOSTILE_TOKENS),
  fc.string({ maxLength: 6 }),
);

export const lineEdit: fc.Arbitrary<LineEdit> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), line: index }),
  fc.record({ kind: fc.constant('swap' as const), line: index, other: index }),
  fc.record({ kind: fc.constant('field' as const), line: index, field: fieldIndex, token }),
);

export function applyEdits(text: string, edits: readonly LineEdit[]): string {
  const lines = text.split('\n');
  for (const e of edits) {
    if (lines.length === 0) break;
    const i = e.line % lines.length;
    if (e.kind === 'swap') {
      const j = e.other % lines.length;
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
    } else if (e.kind !== 'field') {
      if (e.kind === 'delete') lines.splice(i, 1);
      else lines.splice(i, 0, lines[i]!);
    } else {
      // Keep the line's separators: replace the n-th run of non-blanks.
      const fields = lines[i]!.split(/(\s+)/);
      const words = fields.map((f, k) => (/\S/.test(f) ? k : -1)).filter((k) => k >= 0);
      if (words.length > 0) fields[words[e.field % words.length]!] = e.token;
      lines[i] = fields.join('');
    }
  }
  return lines.join('\n');
}
