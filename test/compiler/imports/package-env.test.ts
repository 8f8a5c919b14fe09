/**
 * env() and packages (issue 18, classes 6 and 7): a package never reads the
 * build machine's environment; an unset env() value is unknown (never true)
 * under `check --allow-unset-env`, and `build` refuses it always.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { EmitError, emitPackBody } from '../../../compiler/src/emit/emit-body';
import { Interpreter } from '../../../compiler/src/interp/interpret';
import { ROOT } from '../../helpers/paths';
import { compileStack, errorCodes, stack } from './package-helpers';

const REG = 'registry/example.com/acme/';

test('a package calling env() is an error naming the package; the variable is never read', () => {
  const pkg = 'agent "bot" {\n  var admin = env("FMS_TEST_PACKAGE_SECRET")\n  rules { deny delete_user if principal.id != admin }\n}\n';
  const s = stack({ [REG + 'envpkg@1.0.0.fms']: pkg });
  const env = new Proxy({ FMS_TEST_PACKAGE_SECRET: 'builder-secret' } as Record<string, string | undefined>, {
    get(t, k) {
      if (k === 'FMS_TEST_PACKAGE_SECRET') throw new Error('the package read the environment');
      return t[k as string];
    },
    has: () => {
      throw new Error('the package read the environment');
    },
    getOwnPropertyDescriptor: () => {
      throw new Error('the package read the environment');
    },
  });
  const r = compileStack(s, 'import "example.com/acme/envpkg@1.0.0"\n\nagent "bot" {\n  default deny\n}\n', { env });
  assert.equal(errorCodes(r), ['FMS2081']);
  assert.match(r.diagnostics[0]!.message, /package `example\.com\/acme\/envpkg@1\.0\.0` reads `env\("FMS_TEST_PACKAGE_SECRET"\)`/);
  assert.not.match(JSON.stringify(r.ir), /builder-secret/);
});

const ADMIN = 'agent "ops" {\n  default deny\n  var admin = env("FMS_TEST_ADMIN_ID")\n  var admins = [env("FMS_TEST_ADMIN_ID"), "root"]\n  rules {\n    permit delete_user if principal.id == admin\n    permit drop_table if principal.id in admins\n    permit reset if not (principal.id != admin)\n  }\n}\n';

test('check --allow-unset-env: a comparison with an unset value is unknown, never true (not an empty string)', () => {
  const r = compile(ADMIN, 'governance.fms', { env: {}, allowUnsetEnv: true });
  assert.equal(errorCodes(r), []);
  assert.equal(r.ir!.unsetEnv, ['FMS_TEST_ADMIN_ID']);
  const i = new Interpreter(r.ir!);
  for (const tool of ['delete_user', 'drop_table', 'reset'])
    for (const id of ['', 'root', 'x']) {
      const d = i.decide({ agent: 'ops', tool, principal: { id } });
      assert.is(d.effect, 'deny', `${tool} as ${JSON.stringify(id)}`);
    }
  assert.is(i.decide({ agent: 'ops', tool: 'drop_table', principal: { id: 'root' } }).effect, 'deny', 'a list with an unset member is unknown as a whole');
  // An IR that carries an unset value never becomes a pack.
  assert.throws(() => emitPackBody(r.ir!), (e: unknown) => e instanceof EmitError && /FMS_TEST_ADMIN_ID/.test((e as Error).message));
});

test('env("toString") and other prototype names are unset, never a function', () => {
  for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
    const r = compile(`provider "v" {\n  token = env("${name}")\n}\nagent "a" { default deny }\n`, 'governance.fms', { env: process.env });
    assert.equal(errorCodes(r), ['FMS2020'], name);
  }
});

test('fmsc build refuses unset env() even with --allow-unset-env; check accepts it with the flag', () => {
  const s = stack({ 'governance.fms': ADMIN });
  // CI: '' on purpose: these builds sign with the development key, which `fmsc build` refuses under CI=true
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FMS_HOME: join(s.dir, 'home'), CI: '' };
  delete env.FMS_TEST_ADMIN_ID;
  const fmsc = (args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), ...args], { encoding: 'utf8', env });
  assert.is(fmsc(['check', '--allow-unset-env', s.src]).status, 0);
  const b = fmsc(['build', '--allow-unset-env', s.src, '-o', join(s.dir, 'x.fmspack')]);
  assert.is(b.status, 1, b.stderr);
  assert.match(b.stderr, /error\[FMS2020\]: environment variable `FMS_TEST_ADMIN_ID` is not set/);
  const ok = spawnSync(process.execPath, [join(ROOT, 'dist/fmsc.mjs'), 'build', s.src, '-o', join(s.dir, 'x.fmspack')], { encoding: 'utf8', env: { ...env, FMS_TEST_ADMIN_ID: 'alice' } });
  assert.is(ok.status, 0, ok.stderr);
});

test.run();
