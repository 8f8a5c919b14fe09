// The CLI I/O layer of both bundles (dist/): stdin in a slow pipe, a closed
// stdout, one house style for I/O errors, `--format json` documents with a
// `version` (and JSON errors on stdout), exit codes in `--help`, and the
// rollback state options of `fms-run eval|explain`.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../helpers/paths';
import { ioErrorMessage } from '../../../runtime/src/util/io-error';

const FMSC = join(ROOT, 'dist/fmsc.mjs');
const RUN = join(ROOT, 'dist/fms-run.mjs');
const EXAMPLE = join(ROOT, 'examples/support-bot/governance.fms');
const dir = mkdtempSync(join(tmpdir(), 'fms-io-'));
const env = { ...process.env, NO_COLOR: '1', FMS_HOME: join(dir, 'home'), FMS_STATE_DIR: join(dir, 'state'), FMS_TRUST: '', CI: '' };
const TRUST = join(dir, 'home', 'dev-trust.json');

function node(args: string[], input?: string) {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env, timeout: 60_000, ...(input !== undefined ? { input } : {}) });
}
function sh(cmd: string) {
  return spawnSync('bash', ['-c', cmd], { encoding: 'utf8', env: { ...env, FMSC, RUN }, timeout: 60_000 });
}

const packA = join(dir, 'a.fmspack');
const packB = join(dir, 'b.fmspack');
test.before(() => {
  assert.ok(existsSync(FMSC) && existsSync(RUN), 'run `npm run build` first');
  for (const [p, serial] of [[packA, '10'], [packB, '5']] as const) {
    const r = node([FMSC, 'build', EXAMPLE, '-o', p, '--serial', serial]);
    assert.is(r.status, 0, r.stderr);
  }
});

test('stdin `-` in a slow pipe: check and fmt read until end of file (no EAGAIN)', () => {
  const check = sh('(sleep 0.4; printf "agent a {\\n"; sleep 0.4; printf "  default deny\\n}\\n") | node "$FMSC" check -');
  assert.is(check.status, 0, check.stderr);
  assert.not.match(check.stderr, /EAGAIN/);
  const fmt = sh('(sleep 0.4; printf "agent a {  default deny }"; sleep 0.3; echo) | node "$FMSC" fmt -');
  assert.is(fmt.status, 0, fmt.stderr);
  assert.is(fmt.stdout, 'agent a {\n  default deny\n}\n');
  const json = sh('(sleep 0.3; echo "permitt x") | node "$FMSC" check --format json -');
  assert.is(json.status, 1, json.stderr);
  assert.is((JSON.parse(json.stdout) as { version: number }).version, 1);
});

test('a closed stdout ends every command quietly (no EPIPE stack trace)', () => {
  for (const cmd of [
    'node "$FMSC" explain --list | head -1',
    'node "$FMSC" explain --list --format json | head -c 10',
    `node "$FMSC" inspect ${packA} | head -1`,
    `node "$RUN" explain ${packA} --trust ${TRUST} --no-state --agent support-bot --tool stripe/refund --args '{"amount":1}' | head -c 1`,
    'node "$FMSC" --help | head -1',
  ]) {
    const r = sh(`set -o pipefail; ${cmd} >/dev/null; echo "status \${PIPESTATUS[0]}" >&2`);
    assert.not.match(r.stderr, /EPIPE|node:events|Error/, `${cmd}\n${r.stderr}`);
    assert.match(r.stderr, /status 0/, `${cmd}\n${r.stderr}`);
  }
});

test('I/O errors read the same in every command: cannot read `x`: no such file / is a directory', () => {
  const missing = join(dir, 'nope.fms');
  const cases: Array<[string, string[]]> = [
    [FMSC, ['check', missing]],
    [FMSC, ['fmt', missing]],
    [FMSC, ['build', missing]],
    [FMSC, ['inspect', missing]],
    [FMSC, ['sign', missing, '--key', missing]],
    [RUN, ['eval', missing, '--insecure-unsigned', '--agent', 'a', '--tool', 't']],
    [RUN, ['verify', missing, '--trust', TRUST, '--no-state']],
  ];
  for (const [bin, args] of cases) {
    const r = node([bin, ...args]);
    assert.is(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    const lines = r.stderr.replace(/^fms-run: warning: --insecure-unsigned.*\n/, '');
    assert.match(lines, /^(fmsc|fms-run): cannot read (pack )?`[^`]*nope\.fms`: no such file\n$/, `${args.join(' ')}: ${r.stderr}`);
  }
  const d = node([RUN, 'verify', dir, '--trust', TRUST, '--no-state']);
  assert.match(d.stderr, /^fms-run: cannot read pack `[^`]*`: is a directory\n$/);
  const t = node([RUN, 'verify', packA, '--trust', join(dir, 'no-trust.json')]);
  assert.match(t.stderr, /^fms-run: cannot read trust file `[^`]*no-trust\.json`: no such file\n$/);
  // the house style itself: known codes get words, unknown ones keep their code, never a prototype name
  assert.is(ioErrorMessage('read', '-', Object.assign(new Error('x'), { code: 'ENOENT' })), 'cannot read `<stdin>`: no such file');
  assert.is(ioErrorMessage('write', 'f', Object.assign(new Error('x'), { code: 'toString' })), 'cannot write `f`: toString');
  assert.is(ioErrorMessage('read', 'f', Object.assign(new Error('boom\nmore'), {})), 'cannot read `f`: boom');
});

test('--format json: a versioned document on success, and a JSON error on stdout on an I/O error', () => {
  const ok: Array<[string, string[]]> = [
    [FMSC, ['check', '--format', 'json', EXAMPLE]],
    [FMSC, ['build', '--format', 'json', EXAMPLE, '-o', join(dir, 'c.fmspack')]],
    [FMSC, ['verify', '--format', 'json', packA, '--trust', TRUST]],
    [FMSC, ['explain', '--format', 'json', 'FMS2003']],
    [FMSC, ['explain', '--list', '--format', 'json']],
    [FMSC, ['explain-call', '--format', 'json', EXAMPLE, '--agent', 'support-bot', '--tool', 'stripe/refund']],
    [FMSC, ['keygen', '--format', 'json', join(dir, 'k.pem')]],
    [RUN, ['verify', '--format', 'json', packA, '--trust', TRUST, '--no-state']],
    [RUN, ['explain', '--format', 'json', packA, '--trust', TRUST, '--no-state', '--agent', 'support-bot', '--tool', 'stripe/refund']],
  ];
  for (const [bin, args] of ok) {
    const r = node([bin, ...args]);
    assert.is(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    const doc = JSON.parse(r.stdout) as { version?: unknown };
    assert.is(doc.version, 1, args.join(' '));
  }
  const missing = join(dir, 'nope.fms');
  const bad: Array<[string, string[]]> = [
    [FMSC, ['check', '--format', 'json', missing]],
    [FMSC, ['build', '--format=json', missing]],
    [FMSC, ['verify', '--format', 'json', missing, '--trust', TRUST]],
    [FMSC, ['explain-call', '--format', 'json', missing, '--agent', 'a', '--tool', 't']],
    [RUN, ['verify', '--format', 'json', missing, '--trust', TRUST]],
    [RUN, ['explain', '--format', 'json', missing, '--trust', TRUST, '--agent', 'a', '--tool', 't']],
  ];
  for (const [bin, args] of bad) {
    const r = node([bin, ...args]);
    assert.is(r.status, 2, args.join(' '));
    const doc = JSON.parse(r.stdout) as { version: number; ok: boolean; error: { message: string; exit_code: number } };
    assert.equal([doc.version, doc.ok, doc.error.exit_code], [1, false, 2], args.join(' '));
    assert.match(doc.error.message, /^cannot read (pack )?`[^`]*nope\.fms`: no such file$/);
  }
  // a usage error in JSON mode is JSON too; text mode keeps stdout empty
  const usage = node([FMSC, 'check', '--format', 'json', '--no-such-flag', EXAMPLE]);
  assert.is(usage.status, 2);
  assert.is((JSON.parse(usage.stdout) as { ok: boolean }).ok, false);
  const text = node([FMSC, 'check', missing]);
  assert.is(text.stdout, '');
});

test('every command documents its exit codes in --help', () => {
  for (const [bin, cmds] of [
    [FMSC, ['check', 'fmt', 'build', 'sign', 'verify', 'test', 'explain', 'explain-call', 'inspect', 'keygen', 'pubkey', 'sign-package']],
    [RUN, ['verify', 'eval', 'explain', 'exec']],
  ] as const) {
    for (const c of [...cmds, '']) {
      const r = node([bin, ...(c ? [c] : []), '--help']);
      assert.is(r.status, 0, `${c} --help`);
      assert.match(r.stdout, /Exit codes:\n {2}0 {2}ok\n {2}1 .*\n {2}2 {2}usage or I\/O error\n {2}3 {2}pack refused by verification/, `${bin} ${c} --help`);
    }
  }
});

test('fms-run eval|explain: --state-dir and --no-state; a rollback refusal says how to reset the mark', () => {
  const state = join(dir, 'st');
  const call = ['--trust', TRUST, '--agent', 'support-bot', '--tool', 'stripe/refund'];
  assert.is(node([RUN, 'eval', packA, '--state-dir', state, ...call]).status, 0);
  assert.is(readdirSync(join(state, 'rollback')).length, 1, 'the mark lives in --state-dir');
  const older = node([RUN, 'eval', packB, '--state-dir', state, ...call]);
  assert.is(older.status, 3);
  const mark = join(state, 'rollback', readdirSync(join(state, 'rollback'))[0]);
  assert.is(older.stderr.trim().split('\n').length, 1);
  assert.match(older.stderr, /\[rollback\]; to accept it anyway .* reset the mark: delete `([^`]+)`, or pass --no-state or another --state-dir\n$/);
  assert.ok(older.stderr.includes(`delete \`${mark}\``), older.stderr);
  const explain = node([RUN, 'explain', packB, '--state-dir', state, ...call]);
  assert.is(explain.status, 3);
  assert.match(explain.stderr, /reset the mark/);
  // --no-state neither reads nor writes a mark
  const noState = node([RUN, 'eval', packB, '--no-state', ...call]);
  assert.is(noState.status, 0, noState.stderr);
  const fresh = join(dir, 'st2');
  assert.is(node([RUN, 'explain', packA, '--no-state', '--state-dir', fresh, ...call]).status, 0);
  assert.not.ok(existsSync(fresh));
});

test.run();
