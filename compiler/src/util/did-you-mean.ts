/**
 * Edit distance with transpositions (optimal string alignment: `amuont` is
 * one edit from `amount`), capped: returns `max + 1` as soon as it is exceeded.
 */
export function editDistance(a: string, b: string, max = 3): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      cur.push(v);
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    prev2 = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate within `max` edits (ties: first in order), if any. */
export function didYouMean(word: string, candidates: Iterable<string>, max = 2): string | undefined {
  let best: string | undefined;
  let bestD = max + 1;
  for (const c of candidates) {
    if (c === word) continue;
    const d = editDistance(word.toLowerCase(), c.toLowerCase(), max);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/**
 * How every did-you-mean reads in a diagnostic's `help`: `did you mean \`X\`?`.
 * Tools find the proposed word with {@link DID_YOU_MEAN}; the diagnostic sink
 * also copies it to `Diagnostic.suggestion` so they need not parse prose.
 */
export function didYouMeanHelp(guess: string): string {
  return `did you mean \`${guess}\`?`;
}

/** Finds the word a `help` text proposes (the first `did you mean \`X\`?`). */
export const DID_YOU_MEAN = /did you mean `([^`]+)`\?/;

/** The word a help text proposes, if it has a did-you-mean. */
export function suggestionIn(help: string | undefined): string | undefined {
  return help === undefined ? undefined : DID_YOU_MEAN.exec(help)?.[1];
}

/** Words that differ only in digits (`field1`/`field2`) or a plural `s` name different things on purpose. */
function differentOnPurpose(a: string, b: string): boolean {
  if (a.replace(/[0-9]+/g, '#') === b.replace(/[0-9]+/g, '#')) return true;
  return a + 's' === b || b + 's' === a || a + 'es' === b || b + 'es' === a;
}

/**
 * Is dotted name `a` likely a misspelling of `b` (not just a near miss worth a
 * hint)? Exactly one segment differs, both spellings of it have at least 4
 * characters, and they differ in case only, or by one edit (two when both
 * have 8 to 32 characters; a swap of two letters is one edit); digits-only
 * and plural differences do not count.
 */
export function typoSuspect(a: string, b: string): boolean {
  if (a === b) return false;
  const segA = a.split('.');
  const segB = b.split('.');
  if (segA.length !== segB.length) return false;
  let x: string | undefined;
  let y: string | undefined;
  for (let i = 0; i < segA.length; i++) {
    if (segA[i] === segB[i]) continue;
    if (x !== undefined) return false;
    x = segA[i]!;
    y = segB[i]!;
  }
  if (x === undefined || y === undefined || differentOnPurpose(x, y)) return false;
  const len = Math.min(x.length, y.length);
  if (len < 4) return false;
  if (x.toLowerCase() === y.toLowerCase()) return true;
  return editDistance(x, y, 2) <= (len >= 8 && Math.max(x.length, y.length) <= 32 ? 2 : 1);
}
