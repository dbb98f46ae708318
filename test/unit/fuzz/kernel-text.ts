// Generators that print /proc/<pid>/net/{snmp,dev,tcp,tcp6} the way the kernel does, with the values the
// parsers should read back. Formats: net/ipv4/proc.c (snmp), net/core/net-procfs.c (dev),
// net/ipv4/tcp_ipv4.c and net/ipv6/tcp_ipv6.c (tcp, tcp6).
import fc from 'fast-check';
import type { TcpSocket } from '../../../src/core/procnet.js';

/** An unsigned 64-bit counter as decimal text; the parsers read it as Number(text). */
const u64 = fc.oneof(fc.bigInt({ min: 0n, max: 1000n }), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(String);
const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');

// ---- net/snmp ----

const TCP_NAMES = [
  'RtoAlgorithm',
  'RtoMin',
  'RtoMax',
  'MaxConn',
  'ActiveOpens',
  'PassiveOpens',
  'AttemptFails',
  'EstabResets',
  'CurrEstab',
  'InSegs',
  'OutSegs',
  'RetransSegs',
  'InErrs',
  'OutRsts',
  'InCsumErrors',
];

const section = (name: string) =>
  fc
    .array(fc.tuple(fc.stringMatching(/^[A-Z][A-Za-z0-9]{0,15}$/), u64), { minLength: 1, maxLength: 12 })
    .map((cols) => `${name}: ${cols.map((c) => c[0]).join(' ')}\n${name}: ${cols.map((c) => c[1]).join(' ')}\n`);

export interface SnmpCase {
  text: string;
  passiveOpens: number;
  currEstab: number;
}

/** Some of the sections the kernel prints before and after Tcp:, with made-up columns. */
const sections = (names: string[]) => fc.tuple(...names.map((n) => fc.option(section(n), { nil: '' })));

export const snmpFile: fc.Arbitrary<SnmpCase> = fc
  .record({
    before: sections(['Ip', 'Icmp', 'IcmpMsg']),
    tcp: fc.array(u64, { minLength: TCP_NAMES.length, maxLength: TCP_NAMES.length }),
    after: sections(['Udp', 'UdpLite']),
  })
  .map(({ before, tcp, after }) => {
    tcp[TCP_NAMES.indexOf('MaxConn')] = '-1'; // the one signed field
    const text = `${before.join('')}Tcp: ${TCP_NAMES.join(' ')}\nTcp: ${tcp.join(' ')}\n${after.join('')}`;
    return {
      text,
      passiveOpens: Number(tcp[TCP_NAMES.indexOf('PassiveOpens')]),
      currEstab: Number(tcp[TCP_NAMES.indexOf('CurrEstab')]),
    };
  });

// ---- net/dev ----

const DEV_HEADER =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const DEV_WIDTHS = [8, 7, 4, 4, 4, 5, 10, 9, 8, 7, 4, 4, 4, 5, 7, 10];

/** Linux interface names: 1-15 bytes, no '/', ':' or whitespace (dev_valid_name). */
const ifaceName = fc.oneof(
  fc.constantFrom('lo', 'eth0', 'eth1', 'docker0', 'docker_gwbridge', 'veth1a2b3c4'),
  fc.stringMatching(/^[!-.0-9;-~]{1,15}$/),
);

export interface DevCase {
  text: string;
  receiveBytes: number;
  receivePackets: number;
}

export const devFile: fc.Arbitrary<DevCase> = fc
  .array(
    fc.record({
      name: ifaceName,
      counters: fc.array(u64, { minLength: 16, maxLength: 16 }),
    }),
    { maxLength: 12 },
  )
  .map((ifaces) => {
    let receiveBytes = 0;
    let receivePackets = 0;
    let text = DEV_HEADER;
    for (const { name, counters } of ifaces) {
      text += `${name.padStart(6)}:${counters.map((c, i) => c.padStart(DEV_WIDTHS[i]!)).join(' ')}\n`;
      if (name === 'lo') continue;
      receiveBytes += Number(counters[0]);
      receivePackets += Number(counters[1]);
    }
    return { text, receiveBytes, receivePackets };
  });

// ---- net/tcp and net/tcp6 ----

const TCP4_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const TCP6_HEADER =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

const byte = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.oneof(
  fc.constant<number[]>([0, 0, 0, 0]),
  fc.constant<number[]>([127, 0, 0, 1]),
  fc.array(byte, { minLength: 4, maxLength: 4 }),
);
/** Sixteen bytes with the shapes that matter for printing: zero runs, loopback, IPv4-mapped, anything. */
const ipv6 = fc.oneof(
  fc
    .array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), {
      minLength: 8,
      maxLength: 8,
    })
    .map((groups) => groups.flatMap((g) => [g >> 8, g & 0xff])),
  ipv4.map((v4) => [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...v4]),
  fc.constant<number[]>([...new Array<number>(15).fill(0), 1]),
  fc.array(byte, { minLength: 16, maxLength: 16 }),
);

/** The kernel prints each 32-bit word of the address as a host-order (little-endian) %08X. */
function kernelAddress(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 4)
    out += hex(((bytes[i + 3]! << 24) >>> 0) + (bytes[i + 2]! << 16) + (bytes[i + 1]! << 8) + bytes[i]!, 8);
  return out;
}

/** What the parser should print: dotted IPv4 for v4 and IPv4-mapped, else RFC 5952 (WHATWG URL prints the same). */
export function expectedAddress(bytes: readonly number[]): string {
  if (bytes.length === 4) return bytes.join('.');
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return bytes.slice(12).join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

interface Row {
  local: number[];
  lport: number;
  remote: number[];
  rport: number;
  state: number;
  timeWait: boolean;
  inode: number;
}

const row = (address: fc.Arbitrary<number[]>) =>
  fc.record({
    local: address,
    lport: fc.integer({ min: 0, max: 0xffff }),
    remote: address,
    rport: fc.integer({ min: 0, max: 0xffff }),
    state: fc.oneof(fc.constantFrom(0x01, 0x0a, 0x06), fc.integer({ min: 1, max: 12 })),
    timeWait: fc.boolean(),
    inode: fc.nat(),
  });

function printRow(r: Row, sl: number, v6: boolean): string {
  const head = `${String(sl).padStart(4)}: ${kernelAddress(r.local)}:${hex(r.lport, 4)} ${kernelAddress(r.remote)}:${hex(r.rport, 4)} ${hex(r.state, 2)} 00000000:00000000`;
  const line = r.timeWait
    ? `${head} 03:0000021D 00000000     0        0 0 3 00000000fea498f1` // get_timewait4_sock: 12 fields
    : `${head} 00:00000000 00000000  1000        0 ${r.inode} 1 0000000036986acd 20 4 30 10 -1`;
  return v6 ? line : line.padEnd(149); // tcp4 rows are padded to a fixed width, tcp6 rows are not
}

export interface TcpCase {
  text: string;
  sockets: TcpSocket[];
}

export const tcpFile: fc.Arbitrary<TcpCase> = fc.boolean().chain((v6) =>
  fc.array(row(v6 ? ipv6 : ipv4), { maxLength: 20 }).map((rows) => ({
    text: `${v6 ? TCP6_HEADER : TCP4_HEADER.padEnd(149)}\n${rows.map((r, i) => `${printRow(r, i, v6)}\n`).join('')}`,
    sockets: rows.map((r) => ({
      localAddress: expectedAddress(r.local),
      localPort: r.lport,
      remoteAddress: expectedAddress(r.remote),
      remotePort: r.rport,
      state: r.state,
    })),
  })),
);
