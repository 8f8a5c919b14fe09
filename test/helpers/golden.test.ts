import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { expectGolden } from './golden';

test('a missing golden file fails and is not written; only UPDATE_GOLDEN writes it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-golden-'));
  try {
    const g = join(dir, 'x.txt');
    assert.throws(() => expectGolden(g, 'output\n', false), /golden file .* is missing: run the test with UPDATE_GOLDEN=1/);
    assert.not.ok(existsSync(g));
    expectGolden(g, 'output\n', true);
    assert.is(readFileSync(g, 'utf8'), 'output\n');
    expectGolden(g, 'output\n', false);
    writeFileSync(g, 'other\n');
    let failed = false;
    try {
      expectGolden(g, 'output\n', false);
    } catch {
      failed = true;
    }
    assert.ok(failed, 'a different golden file fails');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
