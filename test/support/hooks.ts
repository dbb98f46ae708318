// Vitest hooks shared by the integration files whose engine objects all carry one name prefix.
import { afterAll, afterEach } from 'vitest';
import { cleanup } from './docker.js';

/** After each test: `release` (stop the agent, close stand-ins), then remove every `prefix`* object; again at the end. */
export function cleanUpAfterEach(prefix: string, release: () => Promise<void>): void {
  afterEach(async () => {
    await release();
    await cleanup(prefix);
  });
  afterAll(async () => {
    await cleanup(prefix);
  });
}
