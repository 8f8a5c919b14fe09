// A newcomer's first minutes: `fmsc init`, then check → test → build → eval
// (with `--fail-on`), shell completions, and `--version` naming the pack format.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const RUN = join(ROOT, 'dist/fms-run.mjs');
const dir = mkdtempSync(join(tmpdir(), 'fms-init-'));
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), FMS_STATE_DIR: join(dir, 'state'), FMS_TRUST: '', CI: '' };
const proj = join(dir, 'proj');

function node(bin: string, args: string[], cwd = dir) {
  return spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env, cwd, timeout: 60_000 });
}

test('fmsc init writes a project whose policy checks clean, whose fixture passes, and that builds and evaluates', () => {
  const init = node(FMSC, ['init', 'proj']);
  assert.is(init.status, 0, init.stderr);
  for (const f of ['governance.fms', 'governance.fmtest.json', 'trust.json', '.gitignore']) assert.ok(existsSync(join(proj, f)), f);
  assert.match(readFileSync(join(proj, '.gitignore'), 'utf8'), /^\*\.fmspack$/m);
  const check = node(FMSC, ['check', '--strict', 'governance.fms'], proj);
  assert.is(check.status, 0, check.stderr);
  const t = node(FMSC, ['test'], proj);
  assert.is(t.status, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /6 passed, 0 failed/);
  const build = node(FMSC, ['build', 'governance.fms'], proj);
  assert.is(build.status, 0, build.stderr);
  const call = ['governance.fmspack', '--trust', 'trust.json', '--no-state', '--agent', 'assistant', '--tool', 'tickets/refund'];
  const permit = node(RUN, ['eval', ...call, '--args', '{"amount": 10}', '--fail-on', 'deny'], proj);
  assert.is(permit.status, 0, permit.stderr);
  assert.is((JSON.parse(permit.stdout) as { effect: string }).effect, 'permit');
  const deny = node(RUN, ['eval', ...call, '--args', '{"amount": 9000}', '--fail-on', 'deny,defer'], proj);
  assert.is(deny.status, 1, deny.stderr);
  assert.is((JSON.parse(deny.stdout) as { effect: string }).effect, 'deny');
  const bad = node(RUN, ['eval', ...call, '--fail-on', 'denied'], proj);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^fms-run: --fail-on: unknown effect `denied` \(use deny, defer or permit, comma-separated\)\n$/);
  const proto = node(RUN, ['eval', ...call, '--fail-on', 'toString'], proj);
  assert.is(proto.status, 2);
});

test('fmsc init never overwrites: an existing file is exit 2 naming it, nothing written; --force overwrites', () => {
  const again = node(FMSC, ['init', 'proj']);
  assert.is(again.status, 2);
  assert.match(again.stderr, /^fmsc: `proj` already has `governance\.fms`, .*: nothing written \(pass --force to overwrite\)\n$/);
  assert.is(node(FMSC, ['init', '--force', 'proj']).status, 0);
});

test('fmsc completion bash|zsh|fish: scripts that name every command; bash completes commands and --format values', () => {
  const bash = node(FMSC, ['completion', 'bash']);
  assert.is(bash.status, 0);
  assert.is(spawnSync('bash', ['-n'], { input: bash.stdout }).status, 0, 'bash syntax');
  const script = join(dir, 'fmsc.bash');
  writeFileSync(script, bash.stdout);
  const probe = spawnSync(
    'bash',
    ['-c', `source ${script}; COMP_WORDS=(fmsc ch); COMP_CWORD=1; _fmsc_complete; echo "\${COMPREPLY[*]}"; COMP_WORDS=(fmsc check --format ''); COMP_CWORD=3; _fmsc_complete; echo "\${COMPREPLY[*]}"`],
    { encoding: 'utf8' },
  );
  assert.is(probe.stdout, 'check\ntext json\n');
  const zsh = node(FMSC, ['completion', 'zsh']);
  assert.match(zsh.stdout, /^#compdef fmsc\n/);
  const fish = node(FMSC, ['completion', 'fish']);
  for (const c of ['check', 'fmt', 'build', 'test', 'init', 'completion']) {
    assert.match(zsh.stdout, new RegExp(`'${c}:`));
    assert.match(fish.stdout, new RegExp(`-a ${c} -d `));
  }
  const bad = node(FMSC, ['completion', 'powershell']);
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /^fmsc: unknown shell `powershell`: use bash, zsh or fish\n$/);
});

test('--version names the pack format versions', () => {
  for (const bin of [FMSC, RUN]) {
    const r = node(bin, ['--version']);
    assert.is(r.status, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+ \(pack container v1, pack body v\d+, json v1\)\n$/);
  }
});

test.run();
