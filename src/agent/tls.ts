// The TLS files, read once at start; a missing or unreadable one stops the agent with its variable named.
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { ConfigError, ErrorCodes, errorMessage } from '../errors.js';
import { checkTlsFiles } from '../tls-files.js';

export function readTls(config: Config): { cert: string; key: string; ca: string | null } | null {
  if (!config.tlsCertFile || !config.tlsKeyFile) return null;
  const read = (path: string, env: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `${env}=${path} cannot be read: ${(err as NodeJS.ErrnoException).code ?? errorMessage(err)}`,
        { cause: err },
        ErrorCodes.CONFIG_FILE_UNREADABLE,
      );
    }
  };
  return checkTlsFiles({
    cert: read(config.tlsCertFile, 'SWARM_BALANCE_TLS_CERT_FILE'),
    key: read(config.tlsKeyFile, 'SWARM_BALANCE_TLS_KEY_FILE'),
    ca: config.tlsCaFile ? read(config.tlsCaFile, 'SWARM_BALANCE_TLS_CA_FILE') : null,
  });
}
