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

export function parseStubStatus(text: string): StubStatus {
  const active = /Active connections:\s*(\d+)/.exec(text);
  const counts = /server accepts handled requests\s*\n\s*(\d+)\s+(\d+)\s+(\d+)/.exec(text);
  if (!active || !counts) throw new ParseError('stub-status', 'body is not nginx stub_status output');
  return { active: Number(active[1]), accepts: Number(counts[1]), handled: Number(counts[2]), requests: Number(counts[3]) };
}
