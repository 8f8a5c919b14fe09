// Issue 17: the fixture `fmsc init` writes points `$schema` at the fixture
// schema shipped in the repository, and `fmsc test` accepts it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../../helpers/paths';
import { schemaRef, shippedFixtureSchema, starterFixture } from '../../../compiler/src/cli/commands/init';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const dir = mkdtempSync(join(tmpdir(), 'fms-init-schema-'));
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), CI: '' };
const SCHEMA = join(ROOT, 'schemas/fmtest.schema.json');

test('the shipped schema is found from the source and from the bundle', () => {
  assert.is(realpathSync(shippedFixtureSchema()!), realpathSync(SCHEMA));
  assert.is(schemaRef('/a/b', '/a/schemas/fmtest.schema.json'), '../schemas/fmtest.schema.json');
  assert.not.ok('$schema' in JSON.parse(starterFixture(undefined)), 'no schema found: no key');
});

for (const where of ['proj', 'nested/deeper/proj']) {
  test(`fmsc init ${where}: the fixture's $schema leads to schemas/fmtest.schema.json, and fmsc test accepts it`, () => {
    const r = spawnSync(process.execPath, [FMSC, 'init', where], { cwd: dir, env, encoding: 'utf8' });
    assert.is(r.status, 0, r.stderr);
    const proj = join(dir, where);
    const fx = JSON.parse(readFileSync(join(proj, 'governance.fmtest.json'), 'utf8')) as { $schema?: string };
    assert.type(fx.$schema, 'string');
    assert.not.match(fx.$schema!, /\\/);
    assert.is(realpathSync(resolve(proj, fx.$schema!)), realpathSync(SCHEMA));
    const t = spawnSync(process.execPath, [FMSC, 'test'], { cwd: proj, env, encoding: 'utf8' });
    assert.is(t.status, 0, t.stdout + t.stderr);
    assert.match(t.stdout, /6 passed, 0 failed/);
    const f = spawnSync(process.execPath, [FMSC, 'fmt', '--check', 'governance.fms'], { cwd: proj, env, encoding: 'utf8' });
    assert.is(f.status, 0, `the starter policy is in fmt layout: ${f.stdout}${f.stderr}`);
  });
}

test.run();
