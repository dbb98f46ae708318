// A gzip member that stores its bytes uncompressed (deflate's stored blocks, RFC 1951 3.2.4), for the
// few KB of text /metrics renders for every scrape: a checksum instead of a compressor, whose state
// and tables would be set up cold for each scrape. Clients inflate it like any other member.
import { crc32 } from 'node:zlib';

/** Deflate's stored blocks hold at most this many bytes each. */
const MAX_STORED = 0xffff;
/** ID1 ID2, CM = 8 (deflate), no flags, MTIME 0, XFL 0, OS 255 (unknown): as zlib writes it. */
const HEADER = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

export function storedGzipMember(data: Uint8Array): Buffer {
  const blocks = Math.max(1, Math.ceil(data.length / MAX_STORED));
  const out = Buffer.allocUnsafe(HEADER.length + blocks * 5 + data.length + 8);
  out.set(HEADER, 0);
  let at = HEADER.length;
  for (let i = 0; i < blocks; i++) {
    const part = data.subarray(i * MAX_STORED, (i + 1) * MAX_STORED);
    // BFINAL on the last block, BTYPE 00; then LEN and its ones' complement, little-endian.
    out[at] = i === blocks - 1 ? 1 : 0;
    out.writeUInt16LE(part.length, at + 1);
    out.writeUInt16LE(~part.length & 0xffff, at + 3);
    out.set(part, at + 5);
    at += 5 + part.length;
  }
  out.writeUInt32LE(crc32(data) >>> 0, at);
  // ISIZE: the input's length modulo 2^32.
  out.writeUInt32LE(data.length % 2 ** 32, at + 4);
  return out;
}
