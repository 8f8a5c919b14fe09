import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';
import * as assert from 'uvu/assert';
import { ROOT, UPDATE_GOLDEN } from './paths';

/**
 * Compares `actual` with the golden file at `path`. Only `UPDATE_GOLDEN=1`
 * writes a golden file; a missing one fails the test (a golden written by the
 * run that checks it would pass whatever the output is).
 */
export function expectGolden(path: string, actual: string, update = UPDATE_GOLDEN): void {
  if (update) {
    writeFileSync(path, actual);
    return;
  }
  if (!existsSync(path)) {
    throw new Error(`golden file ${relative(ROOT, path)} is missing: run the test with UPDATE_GOLDEN=1 to write it, then review it`);
  }
  assert.fixture(actual, readFileSync(path, 'utf8'));
}
