// Slot order ("2" before "10"), as Intl.Collator('en', { numeric: true }) gives it. Slots are nearly
// always replica numbers, node ids or host names (digits, lowercase letters, '_', '-', '.'): those are
// compared here, which keeps ICU's collation data unread (~3 MB of resident memory). Anything else,
// and numbers written with leading zeros, go to the collator, made at its first use.
let collator: Intl.Collator | undefined;

const PLAIN = /^[0-9a-z_.-]*$/;
const isDigit = (c: number) => c >= 48 && c <= 57;
/** The collator's order for these characters: '_' '-' '.' then digits then letters. */
const rank = (c: number) => (c === 95 ? 0 : c === 45 ? 1 : c === 46 ? 2 : c);

export const compareSlots = (a: string, b: string): number => {
  if (PLAIN.test(a) && PLAIN.test(b)) {
    const plain = comparePlain(a, b);
    if (plain !== null) return plain;
  }
  return (collator ??= new Intl.Collator('en', { numeric: true })).compare(a, b);
};

/** Punctuation, digits, letters; runs of digits by their value; null when a run starts with a zero. */
function comparePlain(a: string, b: string): number | null {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (isDigit(ca) && isDigit(cb)) {
      if (ca === 48 || cb === 48) return null;
      let ei = i;
      let ej = j;
      while (ei < a.length && isDigit(a.charCodeAt(ei))) ei++;
      while (ej < b.length && isDigit(b.charCodeAt(ej))) ej++;
      if (ei - i !== ej - j) return ei - i < ej - j ? -1 : 1;
      for (; i < ei; i++, j++) {
        const d = a.charCodeAt(i) - b.charCodeAt(j);
        if (d !== 0) return d < 0 ? -1 : 1;
      }
      continue;
    }
    if (ca !== cb) return rank(ca) < rank(cb) ? -1 : 1;
    i++;
    j++;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}
