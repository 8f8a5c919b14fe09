import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { corpusDir, ROOT } from '../../helpers/paths';

test('fmsc test: the decision fixtures written for corpus examples and docs cookbook policies all pass', () => {
  corpusDir();
  const dir = join(ROOT, 'test/fixtures/corpus-decisions');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.fmtest.json')).map((f) => join(dir, f));
  assert.ok(fixtures.length >= 6);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'test', ...fixtures], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\b(\d+) passed, 0 failed/);
  assert.not.match(r.stdout, /✗/);
});

test('fmsc test fails (exit 1) when a case is wrong', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'fms-fx-'));
  const fx = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/corpus-decisions/infra-bot.fmtest.json'), 'utf8'));
  fx.policy = join(ROOT, 'test/fixtures/corpus-decisions', fx.policy);
  fx.cases[2].expect = { effect: 'deny', code: 'POLICY_DENY' };
  const file = join(tmp, 'wrong.fmtest.json');
  writeFileSync(file, JSON.stringify(fx));
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'test', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /1 failed/);
});

test.run();
