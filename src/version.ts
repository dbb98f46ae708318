import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// dist/ and src/ both sit one level below package.json.
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/**
 * The git commit the agent was built from: dist/build-info.json, written by `npm run build`
 * (src/write-build-info.ts); "unknown" when run from the sources or built without git.
 */
export const REVISION: string = readRevision(new URL('./build-info.json', import.meta.url));

export function readRevision(file: URL | string): string {
  try {
    const info = JSON.parse(readFileSync(file, 'utf8')) as { revision?: unknown };
    return typeof info.revision === 'string' && /^([0-9a-f]{7,40}(-dirty)?|unknown)$/.test(info.revision)
      ? info.revision
      : 'unknown';
  } catch {
    return 'unknown';
  }
}
