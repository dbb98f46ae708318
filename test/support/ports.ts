// A port nothing listens on right now, picked by the OS, so a leftover process elsewhere cannot answer for ours.
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** Listens on port 0 at `host`, reads the port the OS gave, closes again. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const probe = createServer();
  probe.listen(0, host);
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
