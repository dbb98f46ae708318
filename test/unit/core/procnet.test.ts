import { describe, expect, it } from 'vitest';
import * as procnet from '../../../src/core/procnet.js';
import type { TcpSocket } from '../../../src/core/procnet.js';
import { ParseError } from '../../../src/errors.js';
import { fixture } from '../support/factories.js';

// Expected values: test/fixtures/proc/README.md (Swarm task containers) and test/fixtures/host/README.md (this VM).

/** Runs `parse` and returns its result, or the ParseError reason; any other exception is rethrown. */
function outcome<T>(parse: () => T): { value: T } | { reason: string } {
  try {
    return { value: parse() };
  } catch (err) {
    if (err instanceof ParseError) return { reason: err.reason };
    throw err;
  }
}

function reasonOf(parse: () => unknown): string {
  const out = outcome(parse);
  if ('value' in out) throw new Error(`expected a ParseError, got ${JSON.stringify(out.value)}`);
  return out.reason;
}

const SNMP_TCP_HEADER =
  'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors';
const DEV_HEADER =
  'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';

describe('parseSnmpTcp', () => {
  it.each([
    ['proc/15074/net/snmp', 7, 0],
    ['proc/15075/net/snmp', 4, 1],
    ['proc/14971/net/snmp', 6, 2],
    ['host/snmp', 29, 0],
  ])('reads PassiveOpens and CurrEstab from the real file %s', (path, passiveOpens, currEstab) => {
    expect(procnet.parseSnmpTcp(fixture(path))).toEqual({ passiveOpens, currEstab });
  });

  it('reads the Tcp: lines wherever they sit in the file', () => {
    const text = `${SNMP_TCP_HEADER}\nTcp: 1 200 120000 -1 3 9 0 0 2 50 40 0 0 0 0\nUdp: InDatagrams\nUdp: 0\n`;
    expect(procnet.parseSnmpTcp(text)).toEqual({ passiveOpens: 9, currEstab: 2 });
  });

  it.each([
    ['an empty file', '', 'snmp-no-tcp'],
    ['the Tcp: header without its value line', `${SNMP_TCP_HEADER}\n`, 'snmp-no-tcp'],
    ['net/netstat instead of net/snmp', fixture('proc/15074/net/netstat'), 'snmp-no-tcp'],
    ['a value line shorter than the header', `${SNMP_TCP_HEADER}\nTcp: 1 200 120000 -1 0 7\n`, 'snmp-tcp-truncated'],
    ['a header without PassiveOpens', 'Tcp: RtoAlgorithm CurrEstab\nTcp: 1 2\n', 'snmp-tcp-field'],
    ['a PassiveOpens that is not a number', 'Tcp: PassiveOpens CurrEstab\nTcp: seven 2\n', 'snmp-tcp-field'],
    ['a negative CurrEstab', 'Tcp: PassiveOpens CurrEstab\nTcp: 7 -2\n', 'snmp-tcp-field'],
  ])('rejects %s with a stable reason', (_what, text, reason) => {
    expect(reasonOf(() => procnet.parseSnmpTcp(text))).toBe(reason);
  });

  it.each(['proc/14971/net/snmp', 'host/snmp'])(
    'gives the right values or a ParseError for every truncation of %s',
    (path) => {
      const text = fixture(path);
      const full = procnet.parseSnmpTcp(text);
      const wrong: string[] = [];
      for (let cut = 0; cut <= text.length; cut++) {
        const out = outcome(() => procnet.parseSnmpTcp(text.slice(0, cut)));
        if (
          'value' in out &&
          (out.value.passiveOpens !== full.passiveOpens || out.value.currEstab !== full.currEstab)
        ) {
          wrong.push(`cut ${cut}: ${JSON.stringify(out.value)}`);
        }
        if ('reason' in out && !['snmp-no-tcp', 'snmp-tcp-truncated', 'snmp-tcp-field'].includes(out.reason)) {
          wrong.push(`cut ${cut}: reason ${out.reason}`);
        }
      }
      expect(wrong).toEqual([]);
    },
  );
});

describe('parseNetDev', () => {
  it.each([
    ['proc/15074/net/dev', 3780 + 586, 56 + 7],
    ['proc/15075/net/dev', 2957 + 586, 46 + 7],
    ['proc/14971/net/dev', 81678 + 586, 851 + 7],
    ['host/dev', 378017285, 30798],
  ])('sums received bytes and packets over every interface but lo in %s', (path, receiveBytes, receivePackets) => {
    expect(procnet.parseNetDev(fixture(path))).toEqual({ receiveBytes, receivePackets });
  });

  it('reads interface names longer than six characters and counters wider than their column', () => {
    const text = `${DEV_HEADER}docker_gwbridge:12345678901    9999    0    0    0     0          0         0     3631      47    0    1    0     0       0          0\n`;
    expect(procnet.parseNetDev(text)).toEqual({ receiveBytes: 12345678901, receivePackets: 9999 });
  });

  it.each([
    ['an empty file', '', 'dev-header'],
    ['a file without its second header line', 'Inter-|   Receive  |  Transmit\n', 'dev-header'],
    ['net/snmp instead of net/dev', fixture('host/snmp'), 'dev-header'],
    ['a line without an interface name', `${DEV_HEADER}  81678 851 0 0 0 0 0 0 926046 431 0 0 0 0 0 0\n`, 'dev-line'],
    ['a line with 15 counters', `${DEV_HEADER}  eth0: 81678 851 0 0 0 0 0 0 926046 431 0 0 0 0 0\n`, 'dev-fields'],
    [
      'a line with a word among its counters',
      `${DEV_HEADER}  eth0: 81678 many 0 0 0 0 0 0 926046 431 0 0 0 0 0 0\n`,
      'dev-fields',
    ],
  ])('rejects %s with a stable reason', (_what, text, reason) => {
    expect(reasonOf(() => procnet.parseNetDev(text))).toBe(reason);
  });

  it('gives the totals of the whole lines it holds, or a ParseError, for every truncation of a real file', () => {
    const text = fixture('proc/14971/net/dev');
    // Lines: lo (0/0), eth0 (81678/851), eth1 (586/7): a cut at a line end can only drop whole interfaces.
    const allowed = [
      JSON.stringify({ receiveBytes: 0, receivePackets: 0 }),
      JSON.stringify({ receiveBytes: 81678, receivePackets: 851 }),
      JSON.stringify({ receiveBytes: 82264, receivePackets: 858 }),
    ];
    const wrong: string[] = [];
    for (let cut = 0; cut <= text.length; cut++) {
      const out = outcome(() => procnet.parseNetDev(text.slice(0, cut)));
      if ('value' in out && !allowed.includes(JSON.stringify(out.value)))
        wrong.push(`cut ${cut}: ${JSON.stringify(out.value)}`);
      if ('reason' in out && !['dev-header', 'dev-line', 'dev-fields'].includes(out.reason))
        wrong.push(`cut ${cut}: ${out.reason}`);
    }
    expect(wrong).toEqual([]);
    expect(procnet.parseNetDev(text)).toEqual({ receiveBytes: 82264, receivePackets: 858 });
  });
});

const sock = (
  localAddress: string,
  localPort: number,
  remoteAddress: string,
  remotePort: number,
  state: number,
): TcpSocket => ({ localAddress, localPort, remoteAddress, remotePort, state });

describe('parseNetTcp', () => {
  it.each([
    ['proc/14971/net/tcp', [sock('127.0.0.11', 45827, '0.0.0.0', 0, procnet.TCP_LISTEN)]],
    ['proc/15074/net/tcp6', [sock('::', 80, '::', 0, procnet.TCP_LISTEN)]],
    [
      'proc/15075/net/tcp6',
      [sock('::', 80, '::', 0, procnet.TCP_LISTEN), sock('10.0.2.3', 80, '10.0.2.8', 34036, procnet.TCP_ESTABLISHED)],
    ],
    [
      'proc/14971/net/tcp6',
      [
        sock('::', 8080, '::', 0, procnet.TCP_LISTEN),
        sock('10.0.2.4', 8080, '10.0.2.10', 59314, procnet.TCP_ESTABLISHED),
        sock('10.0.2.4', 8080, '10.0.2.10', 59324, procnet.TCP_ESTABLISHED),
      ],
    ],
  ])('reads every socket of the real file %s', (path, sockets) => {
    expect(procnet.parseNetTcp(fixture(path))).toEqual(sockets);
  });

  it("reads the VM's net/tcp with its listeners, clients and TIME_WAIT rows", () => {
    const sockets = procnet.parseNetTcp(fixture('host/tcp'));
    expect(sockets).toHaveLength(12);
    expect(sockets.filter((s) => s.state === procnet.TCP_LISTEN)).toEqual([
      sock('0.0.0.0', 2024, '0.0.0.0', 0, procnet.TCP_LISTEN),
      sock('127.0.0.1', 40480, '0.0.0.0', 0, procnet.TCP_LISTEN),
    ]);
    expect(sockets[8]).toEqual(sock('127.0.0.1', 40480, '127.0.0.1', 41270, procnet.TCP_ESTABLISHED));
  });

  it("reads the VM's net/tcp6 with ::1 and IPv4-mapped rows", () => {
    expect(procnet.parseNetTcp(fixture('host/tcp6')).filter((s) => s.state === procnet.TCP_ESTABLISHED)).toEqual([
      sock('::1', 60790, '::1', 40666, procnet.TCP_ESTABLISHED),
      sock('::1', 40666, '::1', 60790, procnet.TCP_ESTABLISHED),
      sock('127.0.0.1', 2377, '127.0.0.1', 52342, procnet.TCP_ESTABLISHED),
      sock('127.0.0.1', 40666, '127.0.0.1', 51334, procnet.TCP_ESTABLISHED),
    ]);
  });

  // Each 32-bit word is printed in host (little-endian) byte order, as the kernel does on x86 and arm64.
  it.each([
    ['0100007F', '127.0.0.1'],
    ['0B00007F', '127.0.0.11'],
    ['0402000A', '10.0.2.4'],
    ['00000000', '0.0.0.0'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000001000000', '::1'],
    ['0000000000000000FFFF00000402000A', '10.0.2.4'],
    ['000080FE00000000FFAC4200020011FE', 'fe80::42:acff:fe11:2'],
    ['B80D0120000000000000000001000000', '2001:db8::1'],
    ['B80D0120010000000100010001000100', '2001:db8:0:1:1:1:1:1'],
    ['00000120010000000000000001000000', '2001:0:0:1::1'],
    ['B80D0120000000000000010001000000', '2001:db8::1:0:0:1'],
  ])('prints the address %s as %s', (hex, address) => {
    const text = `${TCP_HEADER}   0: ${hex}:0050 ${hex}:1F90 01 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 20 4 30 10 -1\n`;
    expect(procnet.parseNetTcp(text)).toEqual([sock(address, 80, address, 8080, procnet.TCP_ESTABLISHED)]);
  });

  it.each([
    ['an empty file', '', 'tcp-header'],
    [
      'rows without the header line',
      '   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 1 1\n',
      'tcp-header',
    ],
    ['a row that is one word', `${TCP_HEADER}garbage\n`, 'tcp-line'],
    ['a row without a state', `${TCP_HEADER}   0: 0100007F:0050 00000000:0000\n`, 'tcp-line'],
    ['an address of 5 hex digits', `${TCP_HEADER}   0: 0100F:0050 00000000:0000 0A 0 0\n`, 'tcp-address'],
    ['an address that is not hex', `${TCP_HEADER}   0: 0100007G:0050 00000000:0000 0A 0 0\n`, 'tcp-address'],
    ['a port of 3 hex digits', `${TCP_HEADER}   0: 0100007F:050 00000000:0000 0A 0 0\n`, 'tcp-port'],
    ['a port that is not hex', `${TCP_HEADER}   0: 0100007F:00ZZ 00000000:0000 0A 0 0\n`, 'tcp-port'],
  ])('rejects %s with a stable reason', (_what, text, reason) => {
    expect(reasonOf(() => procnet.parseNetTcp(text))).toBe(reason);
  });

  it('gives a prefix of the sockets, or a ParseError, for every truncation of a real file', () => {
    const text = fixture('proc/14971/net/tcp6');
    const full = procnet.parseNetTcp(text);
    const wrong: string[] = [];
    for (let cut = 0; cut <= text.length; cut++) {
      const out = outcome(() => procnet.parseNetTcp(text.slice(0, cut)));
      if ('value' in out && JSON.stringify(out.value) !== JSON.stringify(full.slice(0, out.value.length))) {
        wrong.push(
          `cut ${cut} (${JSON.stringify(text.slice(Math.max(0, cut - 12), cut))}): ${JSON.stringify(out.value.at(-1))}`,
        );
      }
      if ('reason' in out && !['tcp-header', 'tcp-line', 'tcp-address', 'tcp-port'].includes(out.reason))
        wrong.push(`cut ${cut}: ${out.reason}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe('inboundSockets', () => {
  const both = (pid: string) => [
    ...procnet.parseNetTcp(fixture(`proc/${pid}/net/tcp`)),
    ...procnet.parseNetTcp(fixture(`proc/${pid}/net/tcp6`)),
  ];

  it.each([
    ['15074', {}],
    ['15075', { 80: 1 }],
    ['14971', { 8080: 2 }],
  ])('counts the established sockets on the service port of task pid %s, as CurrEstab does', (pid, byPort) => {
    expect(procnet.countByPort(procnet.inboundSockets(both(pid)))).toEqual(byPort);
  });

  it("counts only inbound sockets in the VM's files, where clients and servers share the namespace", () => {
    const sockets = [...procnet.parseNetTcp(fixture('host/tcp')), ...procnet.parseNetTcp(fixture('host/tcp6'))];
    expect(procnet.countByPort(procnet.inboundSockets(sockets))).toEqual({ 40480: 1, 40666: 2, 2377: 1 });
  });

  it.each([
    [
      'an outbound connection to a port the task also listens on',
      0,
      sock('10.0.2.4', 41000, '10.0.2.9', 80, procnet.TCP_ESTABLISHED),
    ],
    ['an inbound connection in TIME_WAIT', 0, sock('10.0.2.4', 80, '10.0.2.9', 41000, 0x06)],
    ['an inbound connection still in SYN_RECV', 0, sock('10.0.2.4', 80, '10.0.2.9', 41000, 0x03)],
    [
      'an established connection to a port nobody listens on',
      0,
      sock('10.0.2.4', 81, '10.0.2.9', 41000, procnet.TCP_ESTABLISHED),
    ],
    ['an inbound established connection', 1, sock('10.0.2.4', 80, '10.0.2.9', 41000, procnet.TCP_ESTABLISHED)],
  ])('with a listener on :80, %s counts %i', (_what, expected, socket) => {
    expect(procnet.inboundSockets([sock('::', 80, '::', 0, procnet.TCP_LISTEN), socket])).toHaveLength(expected);
  });
});
