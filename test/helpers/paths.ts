import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test as uvuTest } from 'uvu';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `../shared/corpus/` next to the checkout; tests fail loudly when it is missing. */
export function corpusDir(): string {
  const dir = join(ROOT, '..', 'shared', 'corpus');
  if (!existsSync(dir)) throw new Error(`the FPL corpus is missing: expected it at ${dir} (the repository is checked out next to shared/)`);
  return dir;
}

/** Is `../shared/corpus/` next to the checkout? */
export const CORPUS_PRESENT = existsSync(join(ROOT, '..', 'shared', 'corpus'));

/**
 * For test files that need the external corpus: uvu's `test` and the corpus
 * folder. When the corpus is absent, every test of the file is registered as
 * skipped (uvu counts them under "Skipped") after one loud line on stderr, so a
 * bare clone passes; under `CI=true` a missing corpus is a failure instead.
 */
export function corpusSuite(file: string): { dir: string; test: typeof uvuTest } {
  if (CORPUS_PRESENT) return { dir: corpusDir(), test: uvuTest };
  if (process.env.CI === 'true') corpusDir();
  process.stderr.write(`SKIPPED ${file}: the FPL corpus is missing (expected ../shared/corpus next to the checkout); its tests are skipped (under CI=true this fails)\n`);
  const skipping = ((name: string, fn: Parameters<typeof uvuTest.skip>[1]) => uvuTest.skip(name, fn)) as unknown as typeof uvuTest;
  Object.assign(skipping, { skip: uvuTest.skip, only: uvuTest.only, before: uvuTest.before, after: uvuTest.after, run: uvuTest.run });
  return { dir: mkdtempSync(join(tmpdir(), 'fms-no-corpus-')), test: skipping };
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
