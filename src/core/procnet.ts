// Parsers for a network namespace's /proc/<pid>/net files. Pure: text in, data out.
import { ParseError } from '../errors.js';
import { holds, isWord, lineEnd, lineStartingWith, numberAt, skipSpace, tokenEnd, trimEnd } from './scan.js';

export interface TcpCounters {
  passiveOpens: number;
  currEstab: number;
}

/** `Tcp:` header and value lines of net/snmp: the header's names stand over the values, one to one. */
export function parseSnmpTcp(text: string): TcpCounters {
  const header = lineStartingWith(text, 'Tcp:', 0);
  const headerEnd = header < 0 ? -1 : lineEnd(text, header);
  const values = header < 0 ? -1 : lineStartingWith(text, 'Tcp:', headerEnd + 1);
  if (values < 0) throw new ParseError('snmp-no-tcp', 'net/snmp has no Tcp: header and value lines');
  const valuesEnd = lineEnd(text, values);
  // The first token of each line is its "Tcp:" tag; the rest are names and values.
  let names = 0;
  let passiveAt = -1;
  let estabAt = -1;
  for (let i = skipSpace(text, tokenEnd(text, header, headerEnd), headerEnd); i < headerEnd; names++) {
    const end = tokenEnd(text, i, headerEnd);
    if (passiveAt < 0 && isWord(text, i, end, 'PassiveOpens')) passiveAt = names;
    if (estabAt < 0 && isWord(text, i, end, 'CurrEstab')) estabAt = names;
    i = skipSpace(text, end, headerEnd);
  }
  let count = 0;
  let passiveOpens = NaN;
  let currEstab = NaN;
  for (let i = skipSpace(text, tokenEnd(text, values, valuesEnd), valuesEnd); i < valuesEnd; count++) {
    const end = tokenEnd(text, i, valuesEnd);
    if (count === passiveAt) passiveOpens = numberAt(text, i, end);
    if (count === estabAt) currEstab = numberAt(text, i, end);
    i = skipSpace(text, end, valuesEnd);
  }
  if (names !== count)
    throw new ParseError('snmp-tcp-truncated', `net/snmp Tcp: has ${names} names but ${count} values`);
  return { passiveOpens: counter('PassiveOpens', passiveOpens), currEstab: counter('CurrEstab', currEstab) };
}

function counter(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0)
    throw new ParseError('snmp-tcp-field', `net/snmp Tcp: ${name} is missing or not a counter`);
  return v;
}

export interface DevTotals {
  receiveBytes: number;
  receivePackets: number;
}

/** Received bytes and packets over every interface but loopback. */
export function parseNetDev(text: string): DevTotals {
  const firstEnd = lineEnd(text, 0);
  const secondEnd = firstEnd < text.length ? lineEnd(text, firstEnd + 1) : -1;
  if (!holds(text, 'Receive', 0, firstEnd) || secondEnd < 0 || !holds(text, 'bytes', firstEnd + 1, secondEnd)) {
    throw new ParseError('dev-header', 'net/dev does not start with its two header lines');
  }
  let receiveBytes = 0;
  let receivePackets = 0;
  for (let start = secondEnd + 1; start <= text.length; start = lineEnd(text, start) + 1) {
    const end = lineEnd(text, start);
    if (skipSpace(text, start, end) === end) continue;
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= end) throw new ParseError('dev-line', 'net/dev line without an interface name');
    const nameFrom = skipSpace(text, start, colon);
    const nameTo = trimEnd(text, nameFrom, colon);
    let fields = 0;
    let allCounters = true;
    let bytes = 0;
    let packets = 0;
    for (let i = skipSpace(text, colon + 1, end); i < end; fields++) {
      const to = tokenEnd(text, i, end);
      const n = numberAt(text, i, to);
      if (!Number.isInteger(n) || n < 0) allCounters = false;
      if (fields === 0) bytes = n;
      else if (fields === 1) packets = n;
      i = skipSpace(text, to, end);
    }
    if (fields < 16 || !allCounters) {
      const iface = text.slice(nameFrom, nameTo);
      throw new ParseError('dev-fields', `net/dev line for ${iface} does not have 16 counters`);
    }
    if (isWord(text, nameFrom, nameTo, 'lo')) continue;
    receiveBytes += bytes;
    receivePackets += packets;
  }
  if (!Number.isFinite(receiveBytes) || !Number.isFinite(receivePackets))
    throw new ParseError('dev-fields', 'net/dev counters add up past the largest number');
  return { receiveBytes, receivePackets };
}

export interface TcpSocket {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: number;
}

export const TCP_ESTABLISHED = 0x01;
export const TCP_LISTEN = 0x0a;

/** Rows of net/tcp or net/tcp6. */
export function parseNetTcp(text: string): TcpSocket[] {
  const lines = text.split('\n');
  if (!/^\s*sl\s+local_address/.test(lines[0] ?? ''))
    throw new ParseError('tcp-header', 'net/tcp does not start with its header line');
  const sockets: TcpSocket[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const f = line.trim().split(/\s+/);
    const local = f[1]?.split(':');
    const remote = f[2]?.split(':');
    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode: a row cut short is not a socket.
    const state = /^[0-9A-Fa-f]{2}$/.test(f[3] ?? '') ? parseInt(f[3]!, 16) : NaN;
    if (!local || !remote || local.length !== 2 || remote.length !== 2 || !Number.isFinite(state)) {
      throw new ParseError('tcp-line', 'net/tcp line is not sl local remote st ...');
    }
    sockets.push({
      localAddress: hexAddress(local[0]!),
      localPort: hexPort(local[1]!),
      remoteAddress: hexAddress(remote[0]!),
      remotePort: hexPort(remote[1]!),
      state,
    });
    if (f.length < 10) throw new ParseError('tcp-line', 'net/tcp line is cut short');
  }
  return sockets;
}

function hexPort(hex: string): number {
  const port = parseInt(hex, 16);
  if (!/^[0-9A-Fa-f]{4}$/.test(hex) || !Number.isFinite(port))
    throw new ParseError('tcp-port', `bad port ${hex} in net/tcp`);
  return port;
}

/** The kernel prints each 32-bit word in host (little-endian) order. */
function hexAddress(hex: string): string {
  if (hex.length === 8) return wordBytes(hex).join('.');
  if (hex.length === 32) {
    const bytes = [0, 8, 16, 24].flatMap((i) => wordBytes(hex.slice(i, i + 8)));
    if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) {
      return bytes.slice(12).join('.'); // IPv4-mapped: report the IPv4 address
    }
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);
    return formatIpv6(groups);
  }
  throw new ParseError('tcp-address', `bad address ${hex} in net/tcp`);
}

/** RFC 5952: the longest run of two or more zero groups becomes `::`. */
function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function wordBytes(hex: string): number[] {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) throw new ParseError('tcp-address', `bad address ${hex} in net/tcp`);
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Established sockets whose local port is one the namespace listens on: inbound connections. */
export function inboundSockets(sockets: readonly TcpSocket[]): TcpSocket[] {
  const listening = new Set(sockets.filter((s) => s.state === TCP_LISTEN).map((s) => s.localPort));
  return sockets.filter((s) => s.state === TCP_ESTABLISHED && listening.has(s.localPort));
}

export function countByPort(sockets: readonly TcpSocket[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of sockets) out[String(s.localPort)] = (out[String(s.localPort)] ?? 0) + 1;
  return out;
}

export function countByAddress(sockets: readonly TcpSocket[]): { address: string; connections: number }[] {
  const counts = new Map<string, number>();
  for (const s of sockets) counts.set(s.remoteAddress, (counts.get(s.remoteAddress) ?? 0) + 1);
  return [...counts].map(([address, connections]) => ({ address, connections }));
}
