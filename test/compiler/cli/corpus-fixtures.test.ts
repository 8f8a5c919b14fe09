import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as assert from 'uvu/assert';
import { corpusSuite, ROOT } from '../../helpers/paths';

const { dir: CORPUS, test } = corpusSuite('cli/corpus-fixtures.test.ts');

test('fmsc test: the decision fixtures written for corpus examples and docs cookbook policies all pass', () => {
  const dir = join(ROOT, 'test/fixtures/corpus-decisions');
  const fixtures = readdirSync(dir).filter((f) => f.endsWith('.fmtest.json')).map((f) => join(dir, f));
  assert.ok(fixtures.length >= 36);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'test', ...fixtures], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /\b(\d+) passed, 0 failed/);
  assert.not.match(r.stdout, /✗/);
});

test('every faramesh-core example and policy pack and every docs cookbook policy has a fixture', () => {
  const corpus = CORPUS;
  const dir = join(ROOT, 'test/fixtures/corpus-decisions');
  const covered = new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.fmtest.json'))
      .map((f) => resolve(dir, (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { policy: string }).policy)),
  );
  const core = join(corpus, 'faramesh-core');
  const wanted = [
    ...readdirSync(join(core, 'examples')).map((f) => join(core, 'examples', f)),
    ...readdirSync(join(core, 'packs')).map((d) => join(core, 'packs', d, 'policy.fpl')),
    ...readdirSync(join(core, 'policies/packs')).map((f) => join(core, 'policies/packs', f)),
    // The cookbook of the FPL reference (fpl-28 imports a registry package that is not available offline).
    ...['fpl-29', 'fpl-30', 'fpl-31', 'fpl-32'].map((b) => join(corpus, 'faramesh-docs/complete', `${b}.fms`)),
  ];
  assert.ok(wanted.length >= 36);
  const missing = wanted.filter((w) => !covered.has(resolve(w)));
  assert.equal(missing, []);
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

  // --update rewrites the wrong expectation with the actual decision; the next run passes.
  const good = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/corpus-decisions/infra-bot.fmtest.json'), 'utf8'));
  const u = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'test', '--update', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(u.status, 0, u.stdout + u.stderr);
  assert.match(u.stdout, /fixtures updated/);
  const updated = JSON.parse(readFileSync(file, 'utf8'));
  assert.is(updated.cases[2].expect.effect, good.cases[2].expect.effect);
  assert.is(updated.cases[2].expect.code, good.cases[2].expect.code);
  assert.equal(updated.cases[0], fx.cases[0]);
  const again = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'test', file], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(again.status, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /0 failed/);
});

test.run();
