// sumPrometheusMetric on exposition text we generate (and so know the sum of), and on junk.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sumPrometheusMetric } from '../../../src/core/promtext.js';
import { applyEdits, junkText, lineEdit, parseOrRefuse, REASONS, runs, textWith } from './support.js';

const NAMES = [
  'http_requests',
  'http_requests_total',
  'http_requests_created',
  'http_requests_total_created',
  'http_request',
  'xhttp_requests_total',
  'process_cpu_seconds_total',
  'up',
  ':weird:name_',
  '_x',
];
const ASKED = fc.constantFrom('http_requests', 'http_requests_total');
const name = fc.oneof(
  { weight: 3, arbitrary: ASKED },
  { weight: 3, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/) },
);

/** Label values and HELP texts before escaping: quotes, backslashes, newlines, separators, non-ASCII. */
const BASE_SPECIALS = ['"', '\\', '\n', '\\n', '{', ',', '=', ' ', '\t', '#', ' # ', 'é', '日本', '🙂'];
/** A closing brace inside a label value, alone or followed by what a sample's value and exemplar look like. */
const BRACE_SPECIALS = ['}', '} ', '} 5', '} 5 # x', '"} 1'];
const escapeLabel = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

/** Non-negative sample values as exporters print them: integers, decimals, Go's %g exponent form. */
const counterValue = fc.oneof(
  fc.nat().map(String),
  fc.nat({ max: 1e6 }).map((n) => `${n}.0`),
  fc.double({ min: 0, max: 1e15, noNaN: true }).map(String),
  fc.double({ min: 0, max: 1e15, noNaN: true }).map((v) => v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2')),
  fc.constantFrom('0', '+0', '1.5e+06', '2E3'),
);
const anyValue = fc.oneof(counterValue, fc.constantFrom('NaN', '+Inf', '-Inf', '-1', '-0.5', '-1e+10'));
const BASE_TIMESTAMPS = ['1395066363000', '-1', '0', '1520879607.789'];
/** Go's OpenMetrics encoder prints timestamps in seconds with %g: 1.520879607789e+09. */
const GO_TIMESTAMPS = ['1.520879607789e+09', '1.7e+09'];

interface Gen {
  labelSpecials: readonly string[];
  timestamps: readonly string[];
}

function exposition({ labelSpecials, timestamps }: Gen) {
  const labels = fc.array(fc.tuple(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), textWith(labelSpecials)), {
    maxLength: 3,
  });
  const gap = fc.constantFrom(' ', ' ', '\t', '  ');
  const sample = fc.record({
    kind: fc.constant('sample' as const),
    name,
    labels,
    counter: counterValue,
    any: anyValue,
    gap,
    ts: fc.option(fc.constantFrom(...timestamps), { nil: undefined }),
    exemplar: fc.option(fc.tuple(labels, counterValue, fc.option(fc.constantFrom(...timestamps), { nil: undefined })), {
      nil: undefined,
    }),
  });
  const line = fc.oneof(
    { weight: 6, arbitrary: sample },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('help' as const), name, text: textWith(BASE_SPECIALS) }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('type' as const),
        name,
        type: fc.constantFrom('counter', 'gauge', 'untyped', 'histogram', 'summary'),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('other' as const),
        text: fc.constantFrom('', '   ', '# EOF', '# note: a comment', '#'),
      }),
    },
  );
  const asked = fc.oneof({ weight: 4, arbitrary: ASKED }, { weight: 1, arbitrary: name });
  return fc
    .record({ lines: fc.array(line, { maxLength: 25 }), asked, crlf: fc.boolean(), indent: fc.boolean() })
    .map(({ lines, asked, crlf, indent }) => {
      const wanted = new Set([asked, asked.endsWith('_total') ? asked : `${asked}_total`]);
      let sum = 0;
      let found = false;
      let declared = false;
      const text = lines
        .map((l) => {
          if (l.kind === 'help') return `# HELP ${l.name} ${escapeHelp(l.text)}`;
          if (l.kind === 'type') {
            if (wanted.has(l.name) || wanted.has(`${l.name}_total`)) declared = true;
            return `# TYPE ${l.name} ${l.type}`;
          }
          if (l.kind === 'other') return l.text;
          const set = (ls: [string, string][]) =>
            ls.length === 0 ? '' : `{${ls.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
          const value = wanted.has(l.name) ? l.counter : l.any;
          if (wanted.has(l.name)) {
            sum += Number(value);
            found = true;
          }
          const ex = l.exemplar
            ? ` # ${set(l.exemplar[0]) || '{}'} ${l.exemplar[1]}${l.exemplar[2] ? ` ${l.exemplar[2]}` : ''}`
            : '';
          return `${indent ? ' ' : ''}${l.name}${set(l.labels)}${l.gap}${value}${l.ts ? `${l.gap}${l.ts}` : ''}${ex}`;
        })
        .join(crlf ? '\r\n' : '\n');
      return { text, asked, expected: found || declared ? { value: sum } : { refused: 'prom-missing' } };
    });
}

describe('sumPrometheusMetric on generated exposition text', () => {
  it('sums exactly the generated samples of the asked metric, when no label value holds a brace and timestamps are plain', () => {
    fc.assert(
      fc.property(
        exposition({ labelSpecials: BASE_SPECIALS, timestamps: BASE_TIMESTAMPS }),
        ({ text, asked, expected }) => {
          expect(parseOrRefuse(() => sumPrometheusMetric(text, asked), REASONS.prom)).toEqual(expected);
        },
      ),
      runs(1500),
    );
  });

  it('sums exactly the generated samples whatever the label values hold and however OpenMetrics timestamps are printed', () => {
    const all = exposition({
      labelSpecials: [...BASE_SPECIALS, ...BRACE_SPECIALS],
      timestamps: [...BASE_TIMESTAMPS, ...GO_TIMESTAMPS],
    });
    fc.assert(
      fc.property(all, ({ text, asked, expected }) => {
        expect(parseOrRefuse(() => sumPrometheusMetric(text, asked), REASONS.prom)).toEqual(expected);
      }),
      runs(1500),
    );
  });

  // Shrunk counterexamples of the property above.
  it.each([
    ['a label value holding "} "', 'http_requests_total{path="} "} 7\n', 7],
    [
      'a label value holding "} 5 # x" (read as the value 5 with an exemplar)',
      'http_requests_total{q="} 5 # x"} 1\n',
      1,
    ],
    [
      'an OpenMetrics timestamp printed by Go as 1.520879607789e+09',
      'http_requests_total 3 1.520879607789e+09\n# EOF\n',
      3,
    ],
  ])('sums a sample with %s', (_what, text, sum) => {
    expect(parseOrRefuse(() => sumPrometheusMetric(text, 'http_requests_total'), REASONS.prom)).toEqual({ value: sum });
  });
});

describe('sumPrometheusMetric on junk', () => {
  const damaged = fc
    .tuple(
      exposition({ labelSpecials: BASE_SPECIALS, timestamps: BASE_TIMESTAMPS }),
      fc.array(lineEdit, { maxLength: 5 }),
    )
    .map(([{ text, asked }, edits]) => ({ text: applyEdits(text, edits), asked }));
  const junk = fc.oneof(damaged, fc.record({ text: junkText(), asked: fc.oneof(name, fc.string({ maxLength: 8 })) }));

  it('refuses junk with a known reason or returns a finite non-negative number', () => {
    fc.assert(
      fc.property(junk, ({ text, asked }) => {
        const out = parseOrRefuse(() => sumPrometheusMetric(text, asked), REASONS.prom);
        if ('value' in out)
          expect(Number.isFinite(out.value) && out.value >= 0, `${JSON.stringify(text)} -> ${out.value}`).toBe(true);
      }),
      runs(2000),
    );
  });

  it('refuses, rather than sums to Infinity, counters that add up past Number.MAX_VALUE', () => {
    const out = parseOrRefuse(
      () =>
        sumPrometheusMetric(
          'http_requests_total{a="1"} 1e308\nhttp_requests_total{a="2"} 1e308\n',
          'http_requests_total',
        ),
      REASONS.prom,
    );
    expect(out).toEqual({ refused: 'prom-value' });
  });

  it.each([
    ['a 200 KB label set of braces', `m{${'}'.repeat(200_000)}x`],
    ['a 200 KB line of spaced numbers', `m ${'1 '.repeat(100_000)}x`],
    ['a 200 KB label value of "} 1 "', `m{a="${'} 1 '.repeat(50_000)}`],
    ['a 200 KB run of tabs and spaces before a value', `m${' \t'.repeat(100_000)}1 x`],
  ])('reads %s in linear time', (_what, line) => {
    const t0 = performance.now();
    parseOrRefuse(() => sumPrometheusMetric(`${line}\n`, 'm'), REASONS.prom);
    expect(performance.now() - t0).toBeLessThan(250);
  });
});
