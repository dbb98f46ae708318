// `doctor` asks peers the way the agent does: over HTTPS with the agent's CA when a certificate is set,
// so the peer token never travels in clear. No engine needed (DOCKER_HOST points nowhere).
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer as createPlain, type Server } from 'node:http';
import { createServer as createTls } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { doctorCommand } from '../../src/commands/doctor.js';
import { nodeReport } from '../support/fake-peers.js';
import { writeSelfSignedCert } from '../support/tls.js';

const TOKEN = 'doctor-peer-token-1234567';
const servers: Server[] = [];
const seen: { scheme: string; authorization: string | undefined }[] = [];
let dir: string;
let tlsPeer: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-doctor-'));
  await writeSelfSignedCert(dir);
  const body = JSON.stringify(nodeReport({ node: 2, tasks: 3, role: 'manager' }));
  const handler =
    (scheme: string) => (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
      seen.push({ scheme, authorization: req.headers.authorization });
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    };
  const tls = createTls(
    { cert: await readFile(join(dir, 'cert.pem')), key: await readFile(join(dir, 'key.pem')) },
    handler('https'),
  );
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  servers.push(tls);
  tlsPeer = `127.0.0.1:${(tls.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

async function doctor(env: Record<string, string>): Promise<{ code: number; out: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, {
    DOCKER_HOST: 'unix:///nonexistent/docker.sock',
    SWARM_BALANCE_PEER_TOKEN: TOKEN,
    ...env,
  });
  const out: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
  try {
    return { code: await doctorCommand([]), out: out.join('') };
  } finally {
    write.mockRestore();
    process.env = saved;
  }
}

describe("doctor with the agent's TLS settings", () => {
  it('asks a peer over HTTPS, checked against the configured CA, with the token', async () => {
    const { out } = await doctor({
      SWARM_BALANCE_PEERS: tlsPeer,
      SWARM_BALANCE_TLS_CERT_FILE: join(dir, 'cert.pem'),
      SWARM_BALANCE_TLS_KEY_FILE: join(dir, 'key.pem'),
      SWARM_BALANCE_TLS_CA_FILE: join(dir, 'cert.pem'),
    });
    expect(out).toContain(`ok    peer ${tlsPeer}: https: node worker-0002 (manager), 3 task(s)`);
    expect(seen).toEqual([{ scheme: 'https', authorization: `Bearer ${TOKEN}` }]);
    expect(out).not.toContain(TOKEN);
  });

  it('never sends the token in clear to a plain-HTTP listener when TLS is configured', async () => {
    const plainSeen: (string | undefined)[] = [];
    const plain = createPlain((req, res) => {
      plainSeen.push(req.headers.authorization);
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    servers.push(plain);
    const address = `127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const { out } = await doctor({
      SWARM_BALANCE_PEERS: address,
      SWARM_BALANCE_TLS_CERT_FILE: join(dir, 'cert.pem'),
      SWARM_BALANCE_TLS_KEY_FILE: join(dir, 'key.pem'),
      SWARM_BALANCE_TLS_CA_FILE: join(dir, 'cert.pem'),
    });
    expect(out).toContain(`FAIL  peer ${address}: https:`);
    expect(plainSeen).toEqual([]);
  });
});
