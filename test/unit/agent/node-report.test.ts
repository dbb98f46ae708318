// This node's report (src/agent/node-report.ts): the sampled tasks with the engine's view, and for the
// tasks asked about, their busiest inbound clients, never the host's own connections.
import { describe, expect, it } from 'vitest';
import { busiestClients, createNodeReport } from '../../../src/agent/node-report.js';
import { emptySampleState } from '../../../src/agent/state.js';
import type { ProcReader } from '../../../src/adapters/procfs.js';
import { NODE_CAPACITY } from '../../../src/core/report-limits.js';
import type { TcpSocket } from '../../../src/core/procnet.js';
import { serviceInfo, snapshot } from '../support/cluster-factories.js';
import { taskRef, taskReport } from '../support/factories.js';

const GATEWAY = '172.18.0.3';

const socket = (remoteAddress: string, localAddress = '10.0.2.4'): TcpSocket => ({
  localAddress,
  localPort: 80,
  remoteAddress,
  remotePort: 40000,
  state: 1,
});

/** A net/tcp row: the kernel prints each address word little-endian, in hex. */
function row(n: number, local: string, localPort: number, remote: string, remotePort: number, state: number): string {
  const addr = (ip: string) =>
    ip
      .split('.')
      .reverse()
      .map((b) => Number(b).toString(16).padStart(2, '0').toUpperCase())
      .join('');
  const port = (p: number) => p.toString(16).padStart(4, '0').toUpperCase();
  const st = state.toString(16).padStart(2, '0').toUpperCase();
  return `   ${n}: ${addr(local)}:${port(localPort)} ${addr(remote)}:${port(remotePort)} ${st} 00000000:00000000 00:00000000 00000000     0        0 ${1000 + n} 1 0000000000000000 100 0 0 10 0`;
}

const NET_TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  row(0, '0.0.0.0', 80, '0.0.0.0', 0, 0x0a),
  row(1, '10.0.2.4', 80, '10.0.2.9', 50001, 1),
  row(2, '10.0.2.4', 80, '10.0.2.9', 50002, 1),
  row(3, '10.0.2.4', 80, '10.0.2.10', 50003, 1),
  row(4, GATEWAY, 80, '172.18.0.1', 50004, 1),
  row(5, GATEWAY, 80, '172.18.0.1', 50005, 1),
].join('\n');

describe('busiestClients', () => {
  it("counts connections per remote address, busiest first, leaving out those to the task's gateway-bridge address", () => {
    const sockets = [socket('10.0.2.10'), socket('10.0.2.9'), socket('10.0.2.9'), socket('172.18.0.1', GATEWAY)];
    expect(busiestClients(sockets, GATEWAY)).toEqual([
      { address: '10.0.2.9', connections: 2 },
      { address: '10.0.2.10', connections: 1 },
    ]);
  });

  it('keeps only as many addresses as an evaluator accepts per task', () => {
    const many = Array.from({ length: NODE_CAPACITY.inboundPerTask + 5 }, (_, i) =>
      socket(`10.1.${i >> 8}.${i & 255}`),
    );
    expect(busiestClients(many, undefined)).toHaveLength(NODE_CAPACITY.inboundPerTask);
  });
});

describe('createNodeReport', () => {
  const web1 = taskRef({ id: 'web1', pid: 100, networks: { shop_default: '10.0.2.4', docker_gwbridge: GATEWAY } });
  const web2 = taskRef({ id: 'web2', pid: 200, slot: '2' });
  const gone = taskRef({ id: 'gone', pid: 300, slot: '3' });
  const readProc: ProcReader = (pid, file) => Promise.resolve(pid === 300 ? null : file === 'net/tcp' ? NET_TCP : null);

  function report() {
    const state = emptySampleState();
    state.tasks = [web1, web2, gone].map((t) => taskReport(t));
    state.lastSample = 1234;
    const snap = snapshot({ tasks: [web1, web2, gone], services: [serviceInfo()] });
    return createNodeReport({
      discovery: { current: () => snap },
      readProc,
      state,
      firing: () => ['svc-web'],
      windowMs: 60_000,
    });
  }

  it('lists the clients of the tasks asked about, without the host, and leaves the others as sampled', async () => {
    const r = await report()(['web1']);
    expect(r.tasks.map((t) => [t.id, t.inbound])).toEqual([
      [
        'web1',
        [
          { address: '10.0.2.9', connections: 2 },
          { address: '10.0.2.10', connections: 1 },
        ],
      ],
      ['web2', undefined],
      ['gone', undefined],
    ]);
  });

  it('leaves a task whose process vanished as sampled', async () => {
    const r = await report()(['gone']);
    expect(r.tasks.find((t) => t.id === 'gone')).not.toHaveProperty('inbound');
  });

  it("carries the last sample time, the window, the engine's view and the services firing", async () => {
    const r = await report()();
    expect(r).toMatchObject({
      version: 1,
      at: 1234,
      windowSeconds: 60,
      dockerUp: true,
      node: { name: 'node-1', role: 'manager' },
      firing: ['svc-web'],
    });
    expect(r.services.map((s) => s.name)).toEqual(['shop_web']);
  });
});
