// The TLS files, checked at start: a file that is not the PEM its variable asks for stops the agent
// with the variable named (Node's own "PEM routines::no start line" names none).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { ConfigError } from './errors.js';

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
      new X509Certificate(block);
    } catch (err) {
      throw new ConfigError(`${env} holds a PEM block that is not a valid X.509 certificate`, { cause: err });
    }
  }
}

export function checkTlsFiles(files: TlsFiles): TlsFiles {
  certificates('SWARM_BALANCE_TLS_CERT_FILE', files.cert);
  try {
    createPrivateKey(files.key);
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
