// A stored gzip member must inflate to its input whatever its size, alone or behind other members.
import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { storedGzipMember } from '../../src/gzip-member.js';

describe('storedGzipMember', () => {
  it.each([0, 1, 4096, 0xffff, 0xffff + 1, 3 * 0xffff + 17])('inflates to its %i bytes', (n) => {
    const data = randomBytes(n);
    const member = storedGzipMember(data);
    expect(gunzipSync(member).equals(data)).toBe(true);
    expect(member.length).toBe(n + 10 + 5 * Math.max(1, Math.ceil(n / 0xffff)) + 8);
  });

  it('reads as one stream with the members around it (RFC 1952 2.2)', () => {
    const a = Buffer.from('# HELP a A.\n# TYPE a gauge\na 1\n');
    const b = Buffer.from('b{x="y"} 2\n'.repeat(1000));
    const body = Buffer.concat([storedGzipMember(a), gzipSync(b), storedGzipMember(a)]);
    expect(gunzipSync(body).toString()).toBe(`${a}${b}${a}`);
  });

  it('is refused by a gzip reader once a byte of its text or its checksum is changed', () => {
    const member = storedGzipMember(Buffer.from('process_open_fds 23\n'));
    for (const at of [20, member.length - 6]) {
      const bad = Buffer.from(member);
      bad[at]! ^= 1;
      expect(() => gunzipSync(bad)).toThrow();
    }
  });
});
