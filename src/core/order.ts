// One collator for slot order ("2" before "10"): building one per comparison dominated big sorts.
const collator = new Intl.Collator('en', { numeric: true });

export const compareSlots = (a: string, b: string): number => collator.compare(a, b);
