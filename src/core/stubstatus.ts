// nginx stub_status:
//   Active connections: 2
//   server accepts handled requests
//    17 17 43
//   Reading: 0 Writing: 1 Waiting: 1
import { ParseError } from '../errors.js';

export interface StubStatus {
  active: number;
  accepts: number;
  handled: number;
  requests: number;
}

/** All four lines must be there, in order: a body cut short is refused, never read as smaller counts. */
export function parseStubStatus(text: string): StubStatus {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const at = lines.findIndex((l) => l.startsWith('Active connections:'));
  const active = /^Active connections:\s*(\d+)$/.exec(lines[at] ?? '');
  const header = lines[at + 1] === 'server accepts handled requests';
  const counts = /^(\d+)\s+(\d+)\s+(\d+)$/.exec(lines[at + 2] ?? '');
  const states = /^Reading:\s*\d+\s+Writing:\s*\d+\s+Waiting:\s*\d+$/.test(lines[at + 3] ?? '');
  if (at < 0 || !active || !header || !counts || !states)
    throw new ParseError('stub-status', 'body is not nginx stub_status output');
  const values = [active[1], counts[1], counts[2], counts[3]].map(Number);
  if (!values.every(Number.isSafeInteger))
    throw new ParseError('stub-status', 'stub_status count is too large to be real');
  const [activeCount, accepts, handled, requests] = values as [number, number, number, number];
  return { active: activeCount, accepts, handled, requests };
}
