// dockerode loads, at start, modules for what the agent never does: ssh2 (DOCKER_HOST=ssh://, which
// the agent refuses), gRPC, protobuf and node:crypto (BuildKit sessions) and tar-fs (image builds).
// Together about 17 MB of resident memory on every node (BENCHMARKS.md, agent-footprint). And
// docker-modem requires node:https (with node:tls and OpenSSL's setup, ~2.5 MiB) for DOCKER_HOST over
// TLS only. This module, imported before dockerode, puts a stand-in for each into the CommonJS cache:
// the real module is loaded the first time any of its members is used, so nothing changes for a
// caller that does use one.
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireHere = createRequire(import.meta.url);
const cache = requireHere.cache;

/** Who requires each module: resolution must start where the requiring file sits. */
function requirers(): { from: NodeJS.Require; id: string; constructors: string[]; callable?: boolean }[] {
  const dockerodeLib = join(dirname(requireHere.resolve('dockerode/package.json')), 'lib', 'docker.js');
  const fromDockerode = createRequire(dockerodeLib);
  const fromModem = createRequire(fromDockerode.resolve('docker-modem'));
  return [
    // docker-modem/lib/ssh.js reads `.Client` when it is loaded and calls `new Client()` later.
    { from: fromModem, id: 'ssh2', constructors: ['Client'] },
    { from: fromDockerode, id: '@grpc/grpc-js', constructors: [] },
    { from: fromDockerode, id: '@grpc/proto-loader', constructors: [] },
    { from: fromDockerode, id: 'tar-fs', constructors: [] },
    // lib/session.js exports the function withSession; it is what requires node:crypto.
    { from: fromDockerode, id: './session', constructors: [], callable: true },
  ];
}

function standIn(from: NodeJS.Require, id: string, constructors: string[], callable = false): void {
  const file = from.resolve(id);
  if (cache[file]) return;
  put(file, () => from(file) as Record<PropertyKey, unknown>, constructors, callable);
}

/**
 * A built-in module's stand-in: `require('https')` (without `node:`) finds the CommonJS cache first
 * (Node's documented behaviour), while `node:https`, which undici and the agent use, always gets the
 * real module. Not put when the module is loaded already: there is nothing left to save.
 */
function builtinStandIn(id: string): void {
  // moduleLoadList is Node's own, undocumented list; without it the stand-in goes in (it is harmless then).
  const loaded = (process as unknown as { moduleLoadList?: string[] }).moduleLoadList;
  if (cache[id] || loaded?.includes(`NativeModule ${id}`) === true) return;
  put(id, () => requireHere(`node:${id}`) as Record<PropertyKey, unknown>, [], false);
}

function put(
  file: string,
  require: () => Record<PropertyKey, unknown>,
  constructors: string[],
  callable: boolean,
): void {
  let real: Record<PropertyKey, unknown> | undefined;
  const load = (): Record<PropertyKey, unknown> => {
    if (!real) {
      delete cache[file];
      real = require();
    }
    return real;
  };
  const target: Record<PropertyKey, unknown> = callable
    ? (function lazyFunction(this: unknown, ...args: unknown[]) {
        return (load() as unknown as (...a: unknown[]) => unknown).apply(this, args);
      } as unknown as Record<PropertyKey, unknown>)
    : {};
  for (const name of constructors) {
    target[name] = function LazyConstructor(...args: unknown[]) {
      const Ctor = load()[name] as new (...a: unknown[]) => unknown;
      return new Ctor(...args);
    };
  }
  const entry = new Module(file);
  entry.filename = file;
  entry.loaded = true;
  entry.exports = new Proxy(target, { get: (t, key) => (key in t ? t[key] : load()[key]) });
  cache[file] = entry;
}

try {
  for (const { from, id, constructors, callable } of requirers()) standIn(from, id, constructors, callable);
  builtinStandIn('https');
} catch {
  // A dockerode release laid out differently: load everything as before, only the memory is lost.
}
