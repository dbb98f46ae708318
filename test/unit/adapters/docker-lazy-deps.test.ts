// dockerode's unused dependencies stay unloaded until used, and work when used.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createDockerApi } from '../../../src/adapters/docker.js';

const here = createRequire(import.meta.url);
const fromDockerode = createRequire(join(dirname(here.resolve('dockerode/package.json')), 'lib', 'docker.js'));
const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
/** Files of a package that are really loaded (the stand-in is one entry marked as the package's main). */
const loadedFiles = (pkg: string) => Object.keys(here.cache).filter((f) => f.includes(`/node_modules/${pkg}/`));

describe("dockerode's lazy dependencies", () => {
  it('builds a Docker API client without loading ssh2, gRPC, protobuf or tar-fs', () => {
    createDockerApi('unix:///var/run/docker.sock');
    expect(loadedFiles('ssh2')).toHaveLength(1);
    expect(loadedFiles('@grpc/grpc-js')).toHaveLength(1);
    expect(loadedFiles('protobufjs')).toHaveLength(0);
    expect(loadedFiles('tar-fs')).toHaveLength(1);
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
});
