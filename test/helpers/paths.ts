import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `../shared/corpus/` next to the checkout; tests fail loudly when it is missing. */
export function corpusDir(): string {
  const dir = join(ROOT, '..', 'shared', 'corpus');
  if (!existsSync(dir)) throw new Error(`the FPL corpus is missing: expected it at ${dir} (the repository is checked out next to shared/)`);
  return dir;
}

/** Every file below `dir` (sorted), recursively. */
export function walk(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((n) => {
      const p = join(dir, n);
      return statSync(p).isDirectory() ? walk(p) : [p];
    });
}

/** Golden files are rewritten when UPDATE_GOLDEN=1. */
export const UPDATE_GOLDEN = process.env.UPDATE_GOLDEN === '1';
