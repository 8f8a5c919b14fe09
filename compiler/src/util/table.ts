/**
 * Word tables that never reach host-language properties: a lookup of
 * `toString`, `constructor` or `__proto__` finds nothing unless the table
 * itself holds that word (DESIGN §3 "Names are the language's own").
 */

/** A frozen null-prototype copy of `entries`: `t[word]` and `word in t` see only own entries. */
export function table<T>(entries: { readonly [k: string]: T }): Readonly<Record<string, T>> {
  const t = Object.create(null) as Record<string, T>;
  for (const k of Object.keys(entries)) t[k] = entries[k]!;
  return Object.freeze(t);
}

/** An empty null-prototype object for a table keyed by the policy's own words. */
export function dict<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

/** `t[key]` when `t` owns `key`, else undefined (safe on any object, whatever its prototype). */
export function own<T>(t: { readonly [k: string]: T }, key: string): T | undefined {
  return Object.hasOwn(t, key) ? t[key] : undefined;
}
