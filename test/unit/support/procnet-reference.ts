// The net/snmp and net/dev parsers as they were written with split, trim and map (before src/core/scan.ts):
// the plainest statement of what they must return, kept as the oracle for the in-place parsers.
import { ParseError } from '../../../src/errors.js';

export function referenceSnmpTcp(text: string): { passiveOpens: number; currEstab: number } {
  const lines = text.split('\n').filter((l) => l.startsWith('Tcp:'));
  if (lines.length < 2) throw new ParseError('snmp-no-tcp', 'net/snmp has no Tcp: header and value lines');
  const names = lines[0]!.trim().split(/\s+/).slice(1);
  const values = lines[1]!.trim().split(/\s+/).slice(1);
  if (names.length !== values.length)
    throw new ParseError('snmp-tcp-truncated', `net/snmp Tcp: has ${names.length} names but ${values.length} values`);
  const field = (name: string): number => {
    const i = names.indexOf(name);
    const v = i < 0 ? NaN : Number(values[i]);
    if (!Number.isInteger(v) || v < 0)
      throw new ParseError('snmp-tcp-field', `net/snmp Tcp: ${name} is missing or not a counter`);
    return v;
  };
  return { passiveOpens: field('PassiveOpens'), currEstab: field('CurrEstab') };
}

export function referenceNetDev(text: string): { receiveBytes: number; receivePackets: number } {
  const lines = text.split('\n');
  if (!lines[0]?.includes('Receive') || !lines[1]?.includes('bytes')) {
    throw new ParseError('dev-header', 'net/dev does not start with its two header lines');
  }
  let receiveBytes = 0;
  let receivePackets = 0;
  for (const line of lines.slice(2)) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon < 0) throw new ParseError('dev-line', 'net/dev line without an interface name');
    const iface = line.slice(0, colon).trim();
    const fields = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (fields.length < 16 || fields.some((n) => !Number.isInteger(n) || n < 0)) {
      throw new ParseError('dev-fields', `net/dev line for ${iface} does not have 16 counters`);
    }
    if (iface === 'lo') continue;
    receiveBytes += fields[0]!;
    receivePackets += fields[1]!;
  }
  if (!Number.isFinite(receiveBytes) || !Number.isFinite(receivePackets))
    throw new ParseError('dev-fields', 'net/dev counters add up past the largest number');
  return { receiveBytes, receivePackets };
}
