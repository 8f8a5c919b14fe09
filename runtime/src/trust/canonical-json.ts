/**
 * Canonical JSON for signed data: object keys sorted by UTF-16 code units, no
 * whitespace, strings and numbers as `JSON.stringify` writes them. Only
 * plain objects, arrays, strings, safe integers, booleans and null are allowed.
 */
export type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Serialises `v` canonically (same value → same bytes). */
export function canonicalJson(v: Json): string {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new Error('canonical json allows only safe integers');
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return '[' + v.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(v).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(v[k] as Json)).join(',') + '}';
}

/** UTF-8 bytes of {@link canonicalJson}. */
export function canonicalJsonBytes(v: Json): Uint8Array {
  return new TextEncoder().encode(canonicalJson(v));
}

/** True when `v` is a plain object whose own keys are exactly `keys`. */
export function hasExactKeys(v: unknown, keys: readonly string[]): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const own = Object.keys(v);
  return own.length === keys.length && keys.every((k) => Object.prototype.hasOwnProperty.call(v, k));
}

/**
 * True when `a` and `b` hold the same bytes: one native comparison, not a
 * callback per byte (the strict decoders compare every signed input with its
 * canonical re-encoding).
 */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/**
 * True when `s` is a string whose code units [from, to) are all lowercase hex
 * digits (`[0-9a-f]`) and `to` is its length. A loop instead of a regular
 * expression: the load path runs once per process, where compiling a pattern
 * costs more than the check.
 */
export function isLowerHexTail(s: unknown, from: number, to: number): boolean {
  if (typeof s !== 'string' || s.length !== to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
