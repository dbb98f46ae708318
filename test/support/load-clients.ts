// Client containers running the test image's load generator (/app/load.js) against the demo app.
import { runClient } from './docker.js';

/** A detached client container `name` on `network` holding 20 new connections/s to one task at `ip` (port 8080). */
export async function startPinnedConnections(name: string, network: string, ip: string): Promise<string> {
  const load = ['--mode', 'connections', '--target', `${ip}:8080`, '--rate', '20', '--forever'];
  return runClient({ network, image: 'sb-test/node:1', name, detach: true, args: ['node', '/app/load.js', ...load] });
}

/** `node /app/load.js ARGS` in a client container on `network`: its output, or (with `background`) detached as `name`. */
export function runLoad(network: string, args: string[], background?: { name: string }): Promise<string> {
  return runClient({
    network,
    image: 'sb-test/node:1',
    args: ['node', '/app/load.js', ...args],
    ...(background ? { detach: true, name: background.name } : {}),
  });
}
