// The dependencies of buildServer (src/server.ts) for tests and benches that only need a server to talk to.
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { ServerDeps } from '../../../src/server.js';

/** A fresh Registry, a silent logger, always ready, a minimal report and cluster answer, no peer token. */
export function serverDeps(over: Partial<ServerDeps> = {}): ServerDeps {
  return {
    exposition: new Registry(),
    logger: pino({ level: 'silent' }),
    ready: () => true,
    report: async () => ({ version: 1 }),
    cluster: () => ({ status: 200, body: {} }),
    peerToken: null,
    ...over,
  };
}
