// prom-client's index loads, at start, parts the agent never uses: the default process metrics (with
// @opentelemetry/api, 51 modules), the Pushgateway client (node:https, node:zlib), the cluster
// aggregator and the Summary (tdigest). The agent uses only Registry, Counter and Gauge
// (src/metrics.ts). This module, imported before prom-client, puts a stand-in
// for each unused part into the CommonJS cache: the real module is loaded the first time the stand-in
// is called, constructed or read, so nothing changes for a caller that does use one.
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireHere = createRequire(import.meta.url);
const cache = requireHere.cache;

/** The parts of prom-client/lib the agent does not use; each exports a function or a class. */
export const PROM_CLIENT_LAZY_PARTS = ['defaultMetrics', 'pushgateway', 'cluster', 'summary'] as const;

function standIn(file: string): void {
  if (cache[file]) return;
  let real: ((...args: unknown[]) => unknown) | undefined;
  const load = () => {
    if (!real) {
      delete cache[file];
      real = requireHere(file) as (...args: unknown[]) => unknown;
    }
    return real;
  };
  const entry = new Module(file);
  entry.filename = file;
  entry.loaded = true;
  entry.exports = new Proxy(function standIn() {}, {
    apply: (_t, self, args) => Reflect.apply(load(), self, args),
    construct: (_t, args, newTarget) =>
      Reflect.construct(load(), args, newTarget === entry.exports ? load() : newTarget),
    get: (_t, key) => (load() as unknown as Record<PropertyKey, unknown>)[key],
    has: (_t, key) => key in load(),
  });
  cache[file] = entry;
}

try {
  const lib = join(dirname(requireHere.resolve('prom-client/package.json')), 'lib');
  for (const part of PROM_CLIENT_LAZY_PARTS) standIn(join(lib, `${part}.js`));
} catch {
  // A prom-client release laid out differently: load everything as before, only the memory is lost.
}
