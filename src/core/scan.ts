// Reading text in place, without splitting it. The sampler reads two small /proc files per task every
// cycle; split, trim and map made a string or an array per line and per field, most of the agent's
// garbage (BENCHMARKS.md, "allocation per minute"). These walk indexes instead.

/** What `\s` and `String.prototype.trim` count as white space or line ends. */
export function isSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** The first index in [from, to) that is not white space, or `to`. */
export function skipSpace(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The first index in [from, to) that is white space, or `to`: the end of the token at `from`. */
export function tokenEnd(text: string, from: number, to: number): number {
  let i = from;
  while (i < to && !isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** The end of [from, to) without its trailing white space. */
export function trimEnd(text: string, from: number, to: number): number {
  let i = to;
  while (i > from && isSpace(text.charCodeAt(i - 1))) i--;
  return i;
}

/** The end of the line that starts at `from`: the index of its `\n`, or the text's length. */
export function lineEnd(text: string, from: number): number {
  const nl = text.indexOf('\n', from);
  return nl < 0 ? text.length : nl;
}

/** Where the first line at or after `from` that begins with `prefix` starts, or -1. */
export function lineStartingWith(text: string, prefix: string, from: number): number {
  for (let at = text.indexOf(prefix, from); at >= 0; at = text.indexOf(prefix, at + 1)) {
    if (at === 0 || text.charCodeAt(at - 1) === 10) return at;
  }
  return -1;
}

/** Whether [from, to) holds `word` somewhere. */
export function holds(text: string, word: string, from: number, to: number): boolean {
  const at = text.indexOf(word, from);
  return at >= 0 && at + word.length <= to;
}

/** Whether [from, to) is exactly `word`. */
export function isWord(text: string, from: number, to: number, word: string): boolean {
  return to - from === word.length && text.startsWith(word, from);
}

/** The number [from, to) spells, as `Number()` reads it; plain digits are read without making a string. */
export function numberAt(text: string, from: number, to: number): number {
  // 15 digits stay below 2^53, so adding them up is exact, as Number() is.
  if (to > from && to - from <= 15) {
    let value = 0;
    let i = from;
    for (; i < to; i++) {
      const digit = text.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      value = value * 10 + digit;
    }
    if (i === to) return value;
  }
  return Number(text.slice(from, to));
}
