// dockerode's unused dependencies stay unloaded until used, and work when used.
// The order of the cases matters: the first shows modules absent that later cases load.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDockerApi } from '../../../src/adapters/docker.js';
import { debugStandIn } from '../../../src/adapters/docker-lazy-deps.js';
import { writeSelfSignedCert } from '../../support/tls.js';

const here = createRequire(import.meta.url);
const fromDockerode = createRequire(join(dirname(here.resolve('dockerode/package.json')), 'lib', 'docker.js'));
const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
/** Files of a package that are really loaded (the stand-in is one entry marked as the package's main). */
const loadedFiles = (pkg: string) => Object.keys(here.cache).filter((f) => f.includes(`/node_modules/${pkg}/`));
/** Built-in modules this process has loaded. */
const loadedBuiltins = (...ids: string[]) =>
  ids.filter((id) =>
    (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes(`NativeModule ${id}`),
  );

describe("dockerode's lazy dependencies", () => {
  it('builds a Docker API client and asks a unix socket without loading ssh2, gRPC, protobuf, tar-fs, node:crypto or node:https', async () => {
    const api = createDockerApi('unix:///nonexistent/docker.sock');
    await expect(api.info()).rejects.toThrow(/ENOENT/);
    expect(loadedFiles('ssh2')).toHaveLength(1);
    expect(loadedFiles('@grpc/grpc-js')).toHaveLength(1);
    expect(loadedFiles('protobufjs')).toHaveLength(0);
    expect(loadedFiles('tar-fs')).toHaveLength(1);
    expect(loadedBuiltins('crypto', 'https', 'tls')).toEqual([]);
  });

  it('speaks TLS to a DOCKER_HOST over https: the stand-in hands over to the real node:https', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-docker-tls-'));
    try {
      await writeSelfSignedCert(dir);
      // Imported here, not at the top: the first case shows node:https absent.
      const { createServer } = await import('node:https');
      const server = createServer({
        key: await readFile(join(dir, 'key.pem')),
        cert: await readFile(join(dir, 'cert.pem')),
      });
      const refused = new Promise<Error>((resolve) => server.once('tlsClientError', resolve));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const api = createDockerApi(`https://127.0.0.1:${(server.address() as AddressInfo).port}`);
      // The certificate is self-signed, so docker-modem's TLS client refuses it: proof the handshake ran.
      await expect(api.info()).rejects.toThrow(/self[- ]signed/i);
      // And the server saw a TLS client give up on the handshake.
      expect(await refused).toBeInstanceOf(Error);
      await new Promise((resolve) => server.close(resolve));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('loads the real module the first time a member is used', () => {
    const grpc = fromDockerode('@grpc/grpc-js') as { ServerCredentials: { createInsecure(): unknown } };
    expect(typeof grpc.ServerCredentials.createInsecure).toBe('function');
    expect(loadedFiles('@grpc/grpc-js').length).toBeGreaterThan(1);
    const ssh2 = fromModem('ssh2') as { Client: new () => { on: unknown } };
    const client = new ssh2.Client();
    expect(typeof client.on).toBe('function');
    expect(loadedFiles('ssh2').length).toBeGreaterThan(1);
  });

  it('calls the real BuildKit session helper through its stand-in', async () => {
    const withSession = fromDockerode('./session') as (
      docker: unknown,
      auth: unknown,
      handler: (err: Error | null) => void,
    ) => void;
    const dialled: unknown[] = [];
    const docker = {
      modem: { dial: (opts: unknown, cb: (err: Error) => void) => (dialled.push(opts), cb(new Error('no engine'))) },
    };
    const err = await new Promise<Error | null>((resolve) => withSession(docker, null, resolve));
    expect(err?.message).toBe('no engine');
    expect(dialled).toMatchObject([{ method: 'POST', path: '/session' }]);
    expect(loadedBuiltins('crypto')).toEqual(['crypto']);
  });

  it("makes docker-modem's loggers silent without DEBUG, and loads the real `debug` for any other use", () => {
    // The test runner may have loaded `debug` itself: take it out of the cache, as in an agent that has not.
    const debugFiles = loadedFiles('debug');
    for (const f of debugFiles) delete here.cache[f];
    expect(debugStandIn(fromModem, {})).toBe(true);
    const createDebug = fromModem('debug') as ((ns: string) => QuietLogger) & { humanize?: (ms: number) => string };
    const log = createDebug('modem');
    expect(log('Sending: %s', 'x')).toBeUndefined();
    expect([log.namespace, log.enabled, log.extend('sub').namespace]).toEqual(['modem', false, 'modem:sub']);
    expect(loadedFiles('debug')).toHaveLength(1);
    // Any other member is the real module's, loaded then.
    expect(createDebug.humanize?.(60_000)).toBe('1m');
    expect(loadedFiles('debug').length).toBeGreaterThan(1);
  });

  it('puts no stand-in for `debug` when DEBUG is set', () => {
    expect(debugStandIn(fromModem, { DEBUG: 'modem' })).toBe(false);
  });
});

type QuietLogger = ((...args: unknown[]) => unknown) & {
  namespace: string;
  enabled: boolean;
  extend(sub: string): QuietLogger;
};
