import type { Document } from '@fms/compiler';

/** AST fields that record layout only (positions, blank lines, line breaks, the closing brace). */
export const LAYOUT_KEYS: ReadonlySet<string> = new Set(['span', 'blankBefore', 'multiline', 'close']);

/**
 * A deep copy of an AST (or any node of it) without spans and layout-only
 * fields (`span`, `blankBefore`, `multiline`, `close`) and without keys whose
 * value is `undefined`. Comments keep their text and order.
 */
export function stripLayout<T>(node: T): unknown {
  if (Array.isArray(node)) return node.map((x) => stripLayout(x));
  if (node && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node as Record<string, unknown>)) {
      if (LAYOUT_KEYS.has(k) || v === undefined) continue;
      out[k] = stripLayout(v);
    }
    return out;
  }
  return node;
}

/**
 * The path of the first difference between two values (`items[2].clauses[0].expr.op`),
 * or `undefined` when they are deeply equal. `NaN` equals `NaN`.
 */
export function firstDifference(a: unknown, b: unknown, path = ''): string | undefined {
  if (Object.is(a, b)) return undefined;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b)) return path || '(root)';
    if (a.length !== b.length) return `${path}.length (${a.length} vs ${b.length})`;
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
    for (const k of keys) {
      const d = firstDifference(ra[k], rb[k], path ? `${path}.${k}` : k);
      if (d) return d;
    }
    return undefined;
  }
  return `${path || '(root)'} (${JSON.stringify(a)} vs ${JSON.stringify(b)})`;
}

/** Deep equality of two ASTs (or nodes) once layout is stripped. */
export function astEqual(a: Document | unknown, b: Document | unknown): boolean {
  return firstDifference(stripLayout(a), stripLayout(b)) === undefined;
}

/** Throws with the path of the first difference when two ASTs differ once layout is stripped. */
export function assertSameAst(actual: unknown, expected: unknown, what = 'AST'): void {
  const d = firstDifference(stripLayout(actual), stripLayout(expected));
  if (d !== undefined) throw new Error(`${what} differs at ${d}`);
}
