// One collator for slot order ("2" before "10"): building one per comparison dominated big sorts.
// Made at the first comparison, so its ICU data is read only by a process that sorts slots.
let collator: Intl.Collator | undefined;

export const compareSlots = (a: string, b: string): number =>
  (collator ??= new Intl.Collator('en', { numeric: true })).compare(a, b);
