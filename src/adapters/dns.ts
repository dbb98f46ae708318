import { Resolver } from 'node:dns/promises';

// Docker's embedded DNS learns new tasks within a second; the default resolver would wait ~25 s
// for an answer that comes later. Short tries keep a round from stalling.
const resolver = new Resolver({ timeout: 1000, tries: 2 });

/** A-records of a name; an unknown name is an empty list, not an error (no tasks yet). */
export async function resolveAddresses(name: string): Promise<string[]> {
  try {
    return await resolver.resolve4(name);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
    throw err;
  }
}
