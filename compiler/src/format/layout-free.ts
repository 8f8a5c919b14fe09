import type { Document } from '../syntax/ast';

/** Fields that record layout only; two documents that differ only in these mean the same. */
const LAYOUT_KEYS = new Set(['span', 'blankBefore', 'multiline', 'close']);

function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (!LAYOUT_KEYS.has(k) && x !== undefined) o[k] = strip(x);
    return o;
  }
  return v;
}

/**
 * True when two documents are the same policy with the same comments (in the
 * same order), ignoring spans and layout-only fields.
 */
export function sameLayoutFreeAst(a: Document, b: Document): boolean {
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}
