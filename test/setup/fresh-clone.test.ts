// A newcomer's machine: the repository cloned into an empty folder (no
// ../shared beside it), an empty home directory (no node-gyp header cache, no
// npm config), then the README's first command and a quick part of `npm test`.
// It clones the COMMITTED state (HEAD) of this checkout. npm uses this
// machine's package cache (--prefer-offline) so it stays fast; what it checks
// is that nothing else outside the clone is needed. FMS_FRESH_CLONE_FULL=1 runs
// the whole suite in the clone instead of the quick subset (slow).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

const work = mkdtempSync(join(tmpdir(), 'fms-fresh-'));
const clone = join(work, 'fms');
const home = mkdtempSync(join(tmpdir(), 'fms-fresh-home-'));
const npmCache = spawnSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).stdout.trim();

/** Runs a shell command in the clone with the empty home; bounded. */
function sh(cmd: string, env: NodeJS.ProcessEnv = {}, timeoutMs = 240_000): SpawnSyncReturns<string> {
  return spawnSync('bash', ['-c', cmd], {
    cwd: clone,
    encoding: 'utf8',
    timeout: timeoutMs,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      NO_COLOR: '1',
      npm_config_cache: npmCache,
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
      ...env,
    },
  });
}

const show = (r: SpawnSyncReturns<string>): string => `exit ${r.status} ${r.signal ?? ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** The README's first command, exactly as written in its first sh block. */
function readmeFirstCommand(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README has a first sh block');
  const cmd = block[1].split('\n').find((l) => l.trim() && !l.trimStart().startsWith('#'));
  assert.ok(cmd, 'the first sh block has a command');
  return cmd;
}

test.after(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
});

test('a clone in an empty folder with an empty home: README command 1 installs (PKCS#11 add-on built from local headers) and builds the example pack', () => {
  const c = spawnSync('git', ['clone', '-q', ROOT, clone], { encoding: 'utf8' });
  assert.is(c.status, 0, c.stderr);
  assert.not.ok(existsSync(join(work, 'shared')));
  const cmd = readmeFirstCommand();
  assert.match(cmd, /^npm ci && npm run build && node dist\/fmsc\.mjs build /);
  const r = sh(cmd);
  assert.is(r.status, 0, show(r));
  assert.ok(existsSync(join(clone, 'examples/support-bot/governance.fmspack')), 'the example pack was written');
  assert.match(r.stderr + r.stdout, /dev-trust\.json/);
  // the optional PKCS#11 add-on was compiled against the installed headers, not downloaded ones
  assert.ok(existsSync(join(clone, 'node_modules/pkcs11js/build/Release/pkcs11.node')), 'pkcs11js built');
  assert.not.ok(existsSync(join(home, '.cache', 'node-gyp')), 'node-gyp did not fetch headers into HOME');
});

test('the bare clone passes (a quick part of) npm test: corpus tests report SKIPPED', () => {
  const full = process.env.FMS_FRESH_CLONE_FULL === '1';
  const r = full
    ? sh('npm test', { CI: '' }, 1_800_000)
    : sh("npm run typecheck && node --import tsx node_modules/uvu/bin.js test '(compiler/corpus|compiler/cli/build-check)\\.test\\.ts$'", { CI: '' });
  assert.is(r.status, 0, show(r));
  assert.match(r.stderr, /SKIPPED corpus\.test\.ts: the FPL corpus is missing/);
  assert.match(r.stdout, /Skipped:\s+[1-9]/);
});

test('under CI=true the missing corpus fails instead of skipping', () => {
  const r = sh("node --import tsx node_modules/uvu/bin.js test 'compiler/corpus\\.test\\.ts$'", { CI: 'true' });
  assert.is.not(r.status, 0, show(r));
  assert.match(r.stdout + r.stderr, /the FPL corpus is missing/);
});

test('without a C/C++ compiler: npm ci still succeeds without the add-on, the build skips fms-exec in one line, PKCS#11 says how to enable it', () => {
  rmSync(join(clone, 'node_modules'), { recursive: true, force: true });
  const noCc = { CC: '/nonexistent/cc', CXX: '/nonexistent/c++' };
  const r = sh('npm ci && npm run build', noCc);
  assert.is(r.status, 0, show(r));
  assert.not.ok(existsSync(join(clone, 'node_modules/pkcs11js/build/Release/pkcs11.node')));
  const line = r.stderr.split('\n').filter((l) => l.startsWith('build-native:'));
  assert.equal(line.length, 1, show(r));
  assert.match(line[0], /no C compiler .*`fms-run exec` is unavailable/);
  const s = sh("node dist/fmsc.mjs pubkey --kms 'pkcs11:object=k?module-path=/nonexistent.so'");
  assert.is(s.status, 2, show(s));
  assert.match(s.stderr, /^fmsc: pkcs11: PKCS#11 support is not installed \(the optional add-on `pkcs11js` was not built\): install a C\+\+ toolchain .* run `npm ci` again/);
  assert.is(s.stderr.trim().split('\n').length, 1);
});

test.run();
