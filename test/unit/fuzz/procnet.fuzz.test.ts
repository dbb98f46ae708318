// The /proc/<pid>/net parsers against random text, damaged real files and kernel-format files we print ourselves.
import { readdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  countByAddress,
  inboundSockets,
  parseNetDev,
  parseNetTcp,
  parseSnmpTcp,
  TCP_ESTABLISHED,
  TCP_LISTEN,
  type TcpSocket,
} from '../../../src/core/procnet.js';
import { devFile, snmpFile, tcpFile } from './kernel-text.js';
import {
  applyEdits,
  assertReadsBack,
  HOSTILE_TOKENS,
  isCount,
  junkText,
  lineEdit,
  parseOrRefuse,
  REASONS,
  runs,
} from './support.js';

const FIXTURES = new URL('../../fixtures/', import.meta.url);
/** Every real net file: test/fixtures/proc/<pid>/net/* and test/fixtures/host/*. */
const realFiles: { path: string; kind: string; text: string }[] = [
  ...readdirSync(new URL('proc/', FIXTURES))
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => readdirSync(new URL(`proc/${pid}/net/`, FIXTURES)).map((f) => `proc/${pid}/net/${f}`)),
  ...readdirSync(new URL('host/', FIXTURES))
    .filter((f) => !f.endsWith('.md'))
    .map((f) => `host/${f}`),
].map((path) => ({
  path,
  kind: path.split('/').pop()!.replace(/6$/, ''),
  text: readFileSync(new URL(path, FIXTURES), 'utf8'),
}));

const validSocket = (s: TcpSocket): boolean =>
  isCount(s.localPort) &&
  s.localPort <= 0xffff &&
  isCount(s.remotePort) &&
  s.remotePort <= 0xffff &&
  isCount(s.state) &&
  s.state <= 0xff &&
  isIP(s.localAddress) !== 0 &&
  isIP(s.remoteAddress) !== 0;

/** One row of PARSERS; `valid` takes the value as the parser types it. */
function parserCase<K extends 'snmp' | 'dev' | 'tcp', T>(kind: K, parse: (t: string) => T, valid: (v: T) => boolean) {
  return {
    kind,
    parse: parse as (t: string) => unknown,
    reasons: REASONS[kind],
    valid: (v: unknown) => valid(v as T),
  };
}

/** Each parser with its file kind, its reasons and what a value it returns must look like. */
const PARSERS = [
  parserCase('snmp', parseSnmpTcp, (c) => isCount(c.passiveOpens) && isCount(c.currEstab)),
  parserCase('dev', parseNetDev, (c) => isCount(c.receiveBytes) && isCount(c.receivePackets)),
  parserCase('tcp', parseNetTcp, (v) => Array.isArray(v) && (v as TcpSocket[]).every(validSocket)),
];

/** The property every parser keeps on any text: a ParseError with a known reason, or well-formed values. */
function holds(p: (typeof PARSERS)[number], text: string): void {
  const out = parseOrRefuse(() => p.parse(text), p.reasons);
  if ('value' in out && !p.valid(out.value))
    throw new Error(`the ${p.kind} parser read ${JSON.stringify(text)} as ${JSON.stringify(out.value)}`);
}

/** Words and separators of the real files, for junk that gets past the header checks. */
const tokens = [...new Set(realFiles.flatMap((f) => f.text.split(/\s+/)).filter(Boolean))].slice(0, 400);
const headers = [...new Set(realFiles.map((f) => f.text.split('\n').slice(0, 2).join('\n') + '\n'))];
const kernelishJunk = fc
  .tuple(
    fc.oneof(fc.constant(''), fc.constantFrom(...headers)),
    fc.array(
      fc
        .array(fc.oneof(fc.constantFrom(...tokens), fc.constantFrom(...HOSTILE_TOKENS)), { maxLength: 24 })
        .map((words) => words.join(' ')),
      { maxLength: 8 },
    ),
  )
  .map(([head, lines]) => head + lines.join('\n'));

describe.each(PARSERS)('$kind parser on untrusted text', (p) => {
  it('refuses random text with a known reason or returns whole non-negative numbers', () => {
    fc.assert(
      fc.property(junkText(), (text) => holds(p, text)),
      runs(1500),
    );
  });

  it('refuses kernel-looking junk (real headers, real words, hostile numbers) or returns well-formed values', () => {
    fc.assert(
      fc.property(kernelishJunk, (text) => holds(p, text)),
      runs(1500),
    );
  });

  it('survives every real net file with lines deleted, duplicated, swapped and fields replaced', () => {
    const own = realFiles.filter((f) => f.kind === p.kind);
    const file = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...own) },
      { weight: 1, arbitrary: fc.constantFrom(...realFiles) },
    );
    fc.assert(
      fc.property(file, fc.array(lineEdit, { minLength: 1, maxLength: 6 }), (file, edits) => {
        holds(p, applyEdits(file.text, edits));
      }),
      runs(1500),
    );
  });

  it('gives, for every truncation of every real file of its kind, a known refusal or the values of the whole lines around the cut', () => {
    const wrong: string[] = [];
    for (const file of realFiles) {
      const { text } = file;
      for (let cut = 0; cut <= text.length; cut++) {
        const head = text.slice(0, cut);
        if (file.kind !== p.kind) {
          holds(p, head);
          continue;
        }
        // The line being cut either counts as the whole line it was, or is refused: never a third value.
        const nl = text.indexOf('\n', cut);
        const lineEnd = cut === 0 || head.endsWith('\n') ? cut : nl < 0 ? text.length : nl + 1;
        const allowed = [text.slice(0, head.lastIndexOf('\n') + 1), text.slice(0, lineEnd)]
          .map((t) => parseOrRefuse(() => p.parse(t), p.reasons))
          .flatMap((o) => ('value' in o ? [JSON.stringify(o.value)] : []));
        const out = parseOrRefuse(() => p.parse(head), p.reasons);
        if ('value' in out && !allowed.includes(JSON.stringify(out.value)))
          wrong.push(`${file.path} cut at ${cut}: ${JSON.stringify(out.value)}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('procnet parsers read back what the kernel prints', () => {
  it('reads PassiveOpens and CurrEstab of any generated net/snmp', () => {
    assertReadsBack(snmpFile, parseSnmpTcp, ({ passiveOpens, currEstab }) => ({ passiveOpens, currEstab }), 800);
  });

  it('sums received bytes and packets of every interface but lo in any generated net/dev', () => {
    assertReadsBack(
      devFile,
      parseNetDev,
      ({ receiveBytes, receivePackets }) => ({ receiveBytes, receivePackets }),
      800,
    );
  });

  it('reads every row of any generated net/tcp or net/tcp6, addresses in canonical text form', () => {
    assertReadsBack(tcpFile, parseNetTcp, ({ sockets }) => sockets, 800);
  });

  it('keeps exactly the established sockets on a listening port as inbound, and counts each remote address once per socket', () => {
    fc.assert(
      fc.property(tcpFile, ({ text }) => {
        const sockets = parseNetTcp(text);
        const listening = new Set(sockets.filter((s) => s.state === TCP_LISTEN).map((s) => s.localPort));
        const inbound = inboundSockets(sockets);
        expect(inbound).toEqual(sockets.filter((s) => s.state === TCP_ESTABLISHED && listening.has(s.localPort)));
        const counts = countByAddress(inbound);
        expect(new Set(counts.map((c) => c.address)).size).toBe(counts.length);
        for (const c of counts) expect(c.connections).toBe(inbound.filter((s) => s.remoteAddress === c.address).length);
        expect(counts.reduce((a, c) => a + c.connections, 0)).toBe(inbound.length);
      }),
      runs(500),
    );
  });
});

// Shrunk counterexamples of the properties above, kept as named cases (see the fuzz report).
describe('procnet counters are whole non-negative numbers or refused', () => {
  it.each<[string, () => unknown, readonly string[]]>([
    [
      'a fractional PassiveOpens in net/snmp',
      () => parseSnmpTcp('Tcp: PassiveOpens CurrEstab\nTcp: 1.5 2\n'),
      REASONS.snmp,
    ],
    [
      'a fractional receive count in net/dev',
      () => parseNetDev(`Inter-| Receive\n face |bytes\n  eth0: ${'0.5 '.repeat(16)}\n`),
      REASONS.dev,
    ],
    [
      'two net/dev interfaces whose byte counts add up past Number.MAX_VALUE',
      () =>
        parseNetDev(`Inter-| Receive\n face |bytes\n  eth0: ${'1e308 '.repeat(16)}\n  eth1: ${'1e308 '.repeat(16)}\n`),
      REASONS.dev,
    ],
  ])('refuses %s', (_what, parse, reasons) => {
    const out = parseOrRefuse(parse, reasons);
    expect(out).toHaveProperty('refused');
  });
});
