// parseStubStatus on bodies we print like nginx does, on damaged and cut bodies, on junk, and on a slow-path body.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStubStatus, type StubStatus } from '../../../src/core/stubstatus.js';
import { applyEdits, assertReadsBack, isCount, junkText, lineEdit, parseOrRefuse, REASONS, runs } from './support.js';

/** nginx prints its atomics as unsigned longs; a reader holds them exactly up to 2^53 - 1 (beyond that is refused). */
const count = fc.oneof(fc.nat({ max: 1000 }), fc.nat(), fc.maxSafeNat()).map(String);

/** ngx_http_stub_status_module: a space ends the first, third and fourth line. */
const body = fc
  .record({
    active: count,
    accepts: count,
    handled: count,
    requests: count,
    reading: count,
    writing: count,
    waiting: count,
    crlf: fc.boolean(),
    trailing: fc.constantFrom(' ', '', '  '),
  })
  .map((b) => {
    const nl = b.crlf ? '\r\n' : '\n';
    const text =
      `Active connections: ${b.active}${b.trailing}${nl}server accepts handled requests${nl} ${b.accepts} ${b.handled} ${b.requests}${b.trailing}${nl}` +
      `Reading: ${b.reading} Writing: ${b.writing} Waiting: ${b.waiting}${b.trailing}${nl}`;
    const expected: StubStatus = {
      active: Number(b.active),
      accepts: Number(b.accepts),
      handled: Number(b.handled),
      requests: Number(b.requests),
    };
    return { text, expected };
  });

const REAL =
  'Active connections: 291 \nserver accepts handled requests\n 16630948 16630948 31070465 \nReading: 6 Writing: 179 Waiting: 106 \n';
const valid = (s: StubStatus): boolean => [s.active, s.accepts, s.handled, s.requests].every(isCount);

describe('parseStubStatus', () => {
  it('reads back every generated nginx stub_status body', () => {
    assertReadsBack(body, parseStubStatus, ({ expected }) => expected, 1000);
  });

  it('refuses random text with the reason stub-status', () => {
    fc.assert(
      fc.property(junkText(), (text) => {
        expect(parseOrRefuse(() => parseStubStatus(text), REASONS.stub)).toEqual({ refused: 'stub-status' });
      }),
      runs(1500),
    );
  });

  it('refuses a damaged body or reads whole non-negative counts from it', () => {
    fc.assert(
      fc.property(body, fc.array(lineEdit, { minLength: 1, maxLength: 5 }), ({ text }, edits) => {
        const damaged = applyEdits(text, edits);
        const out = parseOrRefuse(() => parseStubStatus(damaged), REASONS.stub);
        if ('value' in out)
          expect(valid(out.value), `${JSON.stringify(damaged)} -> ${JSON.stringify(out.value)}`).toBe(true);
      }),
      runs(1500),
    );
  });

  it('refuses a body cut short, or reads the same counts as the whole body', () => {
    const full = parseStubStatus(REAL);
    const wrong: string[] = [];
    for (let cut = 0; cut <= REAL.length; cut++) {
      const out = parseOrRefuse(() => parseStubStatus(REAL.slice(0, cut)), REASONS.stub);
      if ('value' in out && JSON.stringify(out.value) !== JSON.stringify(full))
        wrong.push(`${JSON.stringify(REAL.slice(0, cut))} -> ${JSON.stringify(out.value)}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refuses, rather than reads as Infinity, a count of 400 digits', () => {
    const text = `Active connections: ${'9'.repeat(400)} \nserver accepts handled requests\n 1 1 1 \nReading: 0 Writing: 1 Waiting: 0 \n`;
    expect(parseOrRefuse(() => parseStubStatus(text), REASONS.stub)).toEqual({ refused: 'stub-status' });
  });

  // A task's status page is read up to requestMaxBytes (1 MiB by default): the regex must not go quadratic on it.
  it('refuses a 30 000-line body of blank lines after the counts header in linear time', () => {
    const text = `Active connections: 1 \nserver accepts handled requests${'\n'.repeat(30_000)}x`;
    const t0 = performance.now();
    expect(parseOrRefuse(() => parseStubStatus(text), REASONS.stub)).toEqual({ refused: 'stub-status' });
    expect(performance.now() - t0).toBeLessThan(100);
  });
});
