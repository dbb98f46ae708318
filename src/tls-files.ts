// The TLS files, checked at start: a file that is not the PEM its variable asks for stops the agent
// with the variable named (Node's own "PEM routines::no start line" names none).
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { ConfigError } from './errors.js';

// Required when TLS is configured, not imported: node:crypto costs every agent ~0.6 MiB of RSS.
const crypto = () => createRequire(import.meta.url)('node:crypto') as typeof Crypto;

export interface TlsFiles {
  cert: string;
  key: string;
  ca: string | null;
}

const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function certificates(env: string, text: string): void {
  const blocks = text.match(CERTIFICATE) ?? [];
  if (blocks.length === 0)
    throw new ConfigError(`${env} is not a PEM certificate file (expected -----BEGIN CERTIFICATE----- blocks)`);
  for (const block of blocks) {
    try {
      new (crypto().X509Certificate)(block);
    } catch (err) {
      throw new ConfigError(`${env} holds a PEM block that is not a valid X.509 certificate`, { cause: err });
    }
  }
}

export function checkTlsFiles(files: TlsFiles): TlsFiles {
  certificates('SWARM_BALANCE_TLS_CERT_FILE', files.cert);
  try {
    crypto().createPrivateKey(files.key);
  } catch (err) {
    // The key's text is never shown.
    throw new ConfigError(
      'SWARM_BALANCE_TLS_KEY_FILE is not a PEM private key (expected -----BEGIN … PRIVATE KEY-----)',
      { cause: err },
    );
  }
  if (files.ca !== null) certificates('SWARM_BALANCE_TLS_CA_FILE', files.ca);
  return files;
}
