// Opening and closing the HTTP server: a port that cannot be bound names SWARM_BALANCE_LISTEN.
import type { Server } from 'node:http';
import { AGENT_DEFAULTS } from '../config.js';
import { AgentError, ErrorCodes } from '../errors.js';

/** Resolves with the port bound (the one asked for, or the system's choice for port 0). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new AgentError(
          ErrorCodes.LISTEN_FAILED,
          `cannot listen on ${host}:${port} (SWARM_BALANCE_LISTEN): ${err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(port, host, () => {
      const bound = server.address();
      resolve(typeof bound === 'object' && bound ? bound.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), AGENT_DEFAULTS.closeConnectionsAfterMs).unref();
  });
}
