import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseNetDev, parseSnmpTcp } from '../../../src/core/procnet.js';
import * as scan from '../../../src/core/scan.js';
import { fixture } from '../support/factories.js';
import { referenceNetDev, referenceSnmpTcp } from '../support/procnet-reference.js';

/** The result, or the error's class, reason and message: what a caller can see. */
function seen(parse: () => unknown): unknown {
  try {
    return { value: parse() };
  } catch (err) {
    const e = err as Error & { reason?: string };
    return { error: e.constructor.name, reason: e.reason, message: e.message };
  }
}

describe('scan helpers', () => {
  it('counts as white space exactly what \\s does, over the first 0x3100 code units and U+FEFF', () => {
    const differ: number[] = [];
    for (const code of [...Array.from({ length: 0x3100 }, (_, i) => i), 0xfeff, 0xfffe]) {
      if (scan.isSpace(code) !== /\s/.test(String.fromCharCode(code))) differ.push(code);
    }
    expect(differ).toEqual([]);
  });

  it.each([
    ['12345', 12345],
    ['007', 7],
    ['', 0],
    ['-1', -1],
    ['1e3', 1000],
    ['0x1f', 31],
    ['1.5', 1.5],
    ['seven', NaN],
    ['999999999999999', 999_999_999_999_999],
    ['9007199254740993', Number('9007199254740993')],
    ['123456789012345678901', Number('123456789012345678901')],
  ])('reads %j as Number() does', (token, expected) => {
    expect(scan.numberAt(` ${token} `, 1, 1 + token.length)).toBe(expected);
  });

  it('finds lines by their start only, never in the middle of one', () => {
    const text = 'xTcp: no\nUdp: Tcp: no\nTcp: yes\n';
    expect(scan.lineStartingWith(text, 'Tcp:', 0)).toBe(text.indexOf('Tcp: yes'));
    expect(scan.lineStartingWith('Tcp: first', 'Tcp:', 0)).toBe(0);
    expect(scan.lineStartingWith('Tcp: first', 'Tcp:', 1)).toBe(-1);
  });

  it('bounds a search to its line', () => {
    expect(scan.holds('abc\nbytes', 'bytes', 0, 3)).toBe(false);
    expect(scan.holds('abc\nbytes', 'bytes', 0, 9)).toBe(true);
  });
});

// Pieces of real files and of broken ones; the property joins them at random.
const SNMP = fixture('host/snmp');
const DEV = fixture('proc/14971/net/dev');
const snmpLines = SNMP.split('\n');
const devLines = DEV.split('\n');
const noise = fc.constantFrom(
  ' ',
  '  ',
  '\t',
  '\r',
  '\u00a0',
  '\u2003',
  '',
  '-1',
  '1e3',
  '0x10',
  '1.5',
  'x',
  ':',
  '\n',
);
const line = (lines: string[]) =>
  fc
    .tuple(fc.constantFrom(...lines), fc.array(fc.tuple(fc.nat(200), noise), { maxLength: 3 }))
    .map(([l, edits]) =>
      edits.reduce((s, [at, what]) => s.slice(0, at % (s.length + 1)) + what + s.slice(at % (s.length + 1)), l),
    );
const text = (lines: string[]) => fc.array(line(lines), { maxLength: 12 }).map((ls) => ls.join('\n'));

describe('the in-place parsers against the split-based reference', () => {
  it('parseSnmpTcp returns or throws what the reference does', () => {
    fc.assert(
      fc.property(text(snmpLines), (t) => {
        expect(seen(() => parseSnmpTcp(t))).toEqual(seen(() => referenceSnmpTcp(t)));
      }),
      { numRuns: 3000 },
    );
  });

  it('parseNetDev returns or throws what the reference does', () => {
    fc.assert(
      fc.property(
        fc
          .tuple(fc.boolean(), text(devLines))
          .map(([header, t]) => (header ? devLines.slice(0, 2).join('\n') + '\n' : '') + t),
        (t) => {
          expect(seen(() => parseNetDev(t))).toEqual(seen(() => referenceNetDev(t)));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('agree on every truncation of the real files', () => {
    for (let cut = 0; cut <= SNMP.length; cut++) {
      expect(seen(() => parseSnmpTcp(SNMP.slice(0, cut)))).toEqual(seen(() => referenceSnmpTcp(SNMP.slice(0, cut))));
    }
    for (let cut = 0; cut <= DEV.length; cut++) {
      expect(seen(() => parseNetDev(DEV.slice(0, cut)))).toEqual(seen(() => referenceNetDev(DEV.slice(0, cut))));
    }
  });
});
