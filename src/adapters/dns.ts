import { resolve4 } from 'node:dns/promises';

/** A-records of a name; an unknown name is an empty list, not an error (no tasks yet). */
export async function resolveAddresses(name: string): Promise<string[]> {
  try {
    return await resolve4(name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOTFOUND' || (err as NodeJS.ErrnoException).code === 'ENODATA') return [];
    throw err;
  }
}
