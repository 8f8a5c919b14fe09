/**
 * The versions of a package the offline registry holds (for the "pin an
 * `@latest` import" quick fix): `DIR/<host>/<path>@X.Y.Z.fms` files. Reads one
 * folder, bounded; never follows the ref outside the registry.
 */
import { readdirSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';

const REF = /^[a-z0-9.-]+(\/[a-z0-9._-]+)+$/;
const MAX_ENTRIES = 10_000;

/** Versions of `ref` (`host/path`, no version) in registry folder `dir`; [] when none or the ref is not canonical. */
export function registryVersions(dir: string, ref: string): string[] {
  if (!REF.test(ref) || ref.split('/').some((s) => s === '.' || s === '..')) return [];
  const file = resolve(dir, ref);
  const rel = relative(resolve(dir), file);
  if (rel.startsWith('..') || rel.startsWith(sep)) return [];
  const base = file.slice(dirname(file).length + 1);
  let names: string[];
  try {
    names = readdirSync(dirname(file)).slice(0, MAX_ENTRIES);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const n of names) {
    if (n.startsWith(`${base}@`) && n.endsWith('.fms')) out.push(n.slice(base.length + 1, -4));
  }
  return out;
}
