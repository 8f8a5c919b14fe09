// `fmsc build` signs with exactly the keys named (issue 16): repeatable --key
// and --kms, each key once, --unsigned for a later `fmsc sign` (refused by
// every verifier until then), the development key never under CI=true, and a
// warning (error with --strict) for an expiry that is past or within 24 h.
// Through the real bundled CLIs (npm run build).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readPackUnverified } from '@fms/compiler/sign';
import { baseEnv, errLines, EXAMPLE, FMS_RUN, FMSC, run, scratch, show } from './cli-env';

const dir = scratch('fms-build-signing-');
const CI_LINE = 'fmsc: CI=true: name a signing key with --key FILE or --kms URI (the development key is for local use only)';
const UNSIGNED = 'pack is unsigned: sign it with `fmsc sign`';

const keyIdOf = (file: string): string => {
  const r = run(FMSC, ['pubkey', '--key', file, '--format', 'json'], dir);
  assert.is(r.status, 0, show(r));
  return JSON.parse(r.stdout).key_id as string;
};

let A = '';
let B = '';
test.before(() => {
  for (const k of ['a.pem', 'b.pem']) assert.is(run(FMSC, ['keygen', k], dir).status, 0);
  A = keyIdOf('a.pem');
  B = keyIdOf('b.pem');
});

test('CI=true without --key/--kms: exit 2, exactly one line, no pack, before compiling; CI=false / 0 / empty use the development key', () => {
  for (const ci of ['true', '1', 'yes']) {
    const r = run(FMSC, ['build', EXAMPLE, '-o', 'ci.fmspack'], dir, { CI: ci });
    assert.is(r.status, 2, show(r));
    assert.equal(errLines(r), [CI_LINE]);
    assert.not.ok(existsSync(join(dir, 'ci.fmspack')));
  }
  // Fails fast: a broken policy under CI without a key is still the key error.
  writeFileSync(join(dir, 'broken.fms'), 'agent "a" { rules { permitt x } }\n');
  const broken = run(FMSC, ['build', 'broken.fms'], dir, { CI: 'true' });
  assert.is(broken.status, 2, show(broken));
  assert.equal(errLines(broken), [CI_LINE]);
  // --format json: the error document on stdout too.
  const json = run(FMSC, ['build', EXAMPLE, '--format', 'json', '-o', 'ci.fmspack'], dir, { CI: 'true' });
  assert.is(json.status, 2);
  assert.is(JSON.parse(json.stdout).ok, false);
  for (const ci of ['false', '0', '']) {
    const r = run(FMSC, ['build', EXAMPLE, '-o', `dev-${ci || 'empty'}.fmspack`], dir, { CI: ci });
    assert.is(r.status, 0, show(r));
    assert.match(r.stderr, /the development key/);
  }
});

test('--key and --kms are repeatable: exactly the keys named sign, once each, in order; no development key', () => {
  const r = run(FMSC, ['build', EXAMPLE, '--key', 'a.pem', '--kms', `file:${join(dir, 'b.pem')}`, '-o', 'ab.fmspack', '--format', 'json'], dir, { CI: 'true' });
  assert.is(r.status, 0, show(r));
  assert.not.match(r.stderr, /development key/);
  const out = JSON.parse(r.stdout);
  assert.equal(out.signatures.map((s: { key_id: string }) => s.key_id), [A, B]);
  assert.is(out.signed, true);
  assert.equal(readPackUnverified(readFileSync(join(dir, 'ab.fmspack'))).keyIds, [A, B]);
  assert.not.ok(existsSync(join(dir, 'home', 'dev-key.pem')) && r.stderr.includes('dev-key'), 'the development key was not used');
});

test('the same key named twice (by any route) is a one-line usage error naming it; nothing is written', () => {
  for (const args of [
    ['--key', 'a.pem', '--key', 'a.pem'],
    ['--key', 'a.pem', '--kms', 'file:a.pem'],
    ['--key', 'a.pem', '--key', './a.pem'],
  ]) {
    const r = run(FMSC, ['build', EXAMPLE, ...args, '-o', 'dup.fmspack'], dir);
    assert.is(r.status, 2, show(r));
    const lines = errLines(r);
    assert.is(lines.length, 1, show(r));
    assert.ok(lines[0]!.includes(`key \`${A}\` is named twice`), lines[0]);
    assert.not.ok(existsSync(join(dir, 'dup.fmspack')));
  }
});

test('bad keys and flags: unknown flag, missing key file, unsupported scheme, --unsigned with a key: exit 2, one line', () => {
  const cases: [string[], RegExp][] = [
    [['--sign-with', 'a.pem'], /unknown option '--sign-with'/],
    [['--key', 'missing.pem'], /cannot use the signing key \(--key missing\.pem\): cannot read key file `missing\.pem`/],
    [['--kms', 'ftp://x'], /unsupported key uri scheme `ftp:`/],
    [['--unsigned', '--key', 'a.pem'], /--unsigned cannot be combined with --key or --kms/],
    [['--unsigned', '--kms', 'file:a.pem'], /--unsigned cannot be combined with --key or --kms/],
    [['--key', '__proto__'], /cannot read key file `__proto__`/],
  ];
  for (const [args, want] of cases) {
    const r = run(FMSC, ['build', EXAMPLE, ...args, '-o', 'bad.fmspack'], dir);
    assert.is(r.status, 2, `${args.join(' ')}\n${show(r)}`);
    assert.is(errLines(r).length, 1, show(r));
    assert.match(r.stderr, want);
    assert.not.ok(existsSync(join(dir, 'bad.fmspack')));
  }
});

test('--unsigned: a pack with no signature that fmsc verify, fms-run verify/eval/serve refuse (exit 3, one line) until fmsc sign', () => {
  const b = run(FMSC, ['build', EXAMPLE, '--unsigned', '-o', 'u.fmspack', '--format', 'json'], dir, { CI: 'true' });
  assert.is(b.status, 0, show(b));
  assert.match(b.stderr, /unsigned \(sign it with `fmsc sign`\)/);
  assert.is(JSON.parse(b.stdout).signed, false);
  assert.equal(readPackUnverified(readFileSync(join(dir, 'u.fmspack'))).keyIds, []);
  const trust = join(dir, 'a-trust.json');
  assert.is(run(FMSC, ['trust', 'init', trust], dir).status, 0);
  assert.is(run(FMSC, ['trust', 'add', trust, '--key', 'a.pem'], dir).status, 0);
  const refusals = [
    run(FMSC, ['verify', 'u.fmspack', '--trust', trust], dir),
    run(FMS_RUN, ['verify', 'u.fmspack', '--trust', trust], dir),
    run(FMS_RUN, ['eval', 'u.fmspack', '--trust', trust, '--agent', 'support-bot', '--tool', 'stripe/refund'], dir),
  ];
  for (const r of refusals) {
    assert.is(r.status, 3, show(r));
    const lines = errLines(r);
    assert.is(lines.length, 1, show(r));
    assert.ok(lines[0]!.includes(UNSIGNED) && lines[0]!.includes('[unsigned]'), lines[0]);
  }
  // serve: the daemon reports the refused first pack, then the command exits 3 with the same reason.
  const serve = run(FMS_RUN, ['serve', 'u.fmspack', '--trust', trust, '--socket', join(dir, 's.sock')], dir);
  assert.is(serve.status, 3, show(serve));
  for (const l of errLines(serve)) assert.ok(l.includes(UNSIGNED) && l.includes('[unsigned]'), l);
  // fmsc sign turns it into a normal pack.
  const s = run(FMSC, ['sign', 'u.fmspack', '--key', 'a.pem'], dir);
  assert.is(s.status, 0, show(s));
  assert.equal(readPackUnverified(readFileSync(join(dir, 'u.fmspack'))).keyIds, [A]);
  const v = run(FMS_RUN, ['verify', 'u.fmspack', '--trust', trust, '--no-state'], dir);
  assert.is(v.status, 0, show(v));
  // inspect reads an unsigned pack and says so.
  assert.is(run(FMSC, ['build', EXAMPLE, '--unsigned', '-o', 'u2.fmspack'], dir).status, 0);
  const i = run(FMSC, ['inspect', 'u2.fmspack'], dir);
  assert.is(i.status, 0, show(i));
  assert.match(i.stdout, /unsigned/);
  // --insecure-unsigned (local experiments) reads an unsigned pack, and still checks an expected name.
  const name = JSON.parse(run(FMSC, ['inspect', 'u2.fmspack', '--format', 'json'], dir).stdout).manifest.name as string;
  const ok = run(FMS_RUN, ['eval', 'u2.fmspack', '--insecure-unsigned', '--name', name, '--agent', 'support-bot', '--tool', 'stripe/refund', '--no-state'], dir);
  assert.is(ok.status, 0, show(ok));
  const wrong = run(FMS_RUN, ['eval', 'u2.fmspack', '--insecure-unsigned', '--name', 'other/name', '--agent', 'support-bot', '--tool', 'stripe/refund', '--no-state'], dir);
  assert.is(wrong.status, 3, show(wrong));
  assert.match(wrong.stderr, /this host expects `other\/name`/);
});

test('expiry past or within 24 h: one warning line and exit 0; --strict: exit 1 and no pack', () => {
  const past = run(FMSC, ['build', EXAMPLE, '--key', 'a.pem', '-o', 'old.fmspack'], dir, { SOURCE_DATE_EPOCH: '1000000000' });
  assert.is(past.status, 0, show(past));
  assert.equal(errLines(past).filter((l) => l.includes('warning')), ['fmsc: warning: the pack expiry 2001-12-08T01:46:40.000Z is already past: runtimes will refuse it (set a later --expires, or check SOURCE_DATE_EPOCH)']);
  const soon = run(FMSC, ['build', EXAMPLE, '--key', 'a.pem', '--expires', '2h', '-o', 'soon.fmspack'], dir);
  assert.is(soon.status, 0, show(soon));
  assert.match(soon.stderr, /fmsc: warning: the pack expiry \S+ is within 24 h \(in 1[12]\d min\)/);
  const later = run(FMSC, ['build', EXAMPLE, '--key', 'a.pem', '--expires', '25h', '-o', 'later.fmspack'], dir);
  assert.is(later.status, 0, show(later));
  assert.not.match(later.stderr, /warning/);
  for (const [extra, args] of [[{ SOURCE_DATE_EPOCH: '1000000000' }, []], [{}, ['--expires', '2h']]] as const) {
    const r = run(FMSC, ['build', EXAMPLE, '--key', 'a.pem', '--strict', ...args, '-o', 'strict.fmspack'], dir, extra);
    assert.is(r.status, 1, show(r));
    assert.is(errLines(r).length, 1, show(r));
    assert.match(r.stderr, /\[--strict\]/);
    assert.not.ok(existsSync(join(dir, 'strict.fmspack')));
  }
});

test('encrypted keys: keygen --passphrase writes ENCRYPTED PRIVATE KEY (0600); build/sign decrypt with FMS_KEY_PASSWORD; a wrong or missing passphrase is one line that never echoes it', () => {
  const pw = 'correct horse battery staple';
  const g = run(FMSC, ['keygen', 'enc.pem', '--passphrase', '--format', 'json'], dir, { FMS_KEY_PASSWORD: pw });
  assert.is(g.status, 0, show(g));
  const gen = JSON.parse(g.stdout);
  assert.is(gen.encrypted, true);
  const text = readFileSync(join(dir, 'enc.pem'), 'utf8');
  assert.match(text, /^-----BEGIN ENCRYPTED PRIVATE KEY-----\n/);
  assert.not.match(text, /BEGIN PRIVATE KEY/);
  assert.is(statSync(join(dir, 'enc.pem')).mode & 0o777, 0o600);
  assert.not.ok(g.stdout.includes(pw) || g.stderr.includes(pw));
  // The same key id through every reader.
  assert.is(run(FMSC, ['pubkey', '--key', 'enc.pem', '--format', 'json'], dir, { FMS_KEY_PASSWORD: pw }).stdout.includes(gen.key_id), true);
  const ok = run(FMSC, ['build', EXAMPLE, '--key', 'enc.pem', '-o', 'enc.fmspack', '--format', 'json'], dir, { FMS_KEY_PASSWORD: pw, CI: 'true' });
  assert.is(ok.status, 0, show(ok));
  assert.is(JSON.parse(ok.stdout).key_id, gen.key_id);
  const wrong = 'Tr0ub4dor&3-wrong';
  for (const r of [
    run(FMSC, ['build', EXAMPLE, '--key', 'enc.pem', '-o', 'w.fmspack'], dir, { FMS_KEY_PASSWORD: wrong }),
    run(FMSC, ['sign', 'enc.fmspack', '--key', 'enc.pem', '--out', 'w.fmspack'], dir, { FMS_KEY_PASSWORD: wrong }),
    run(FMSC, ['pubkey', '--key', 'enc.pem'], dir, { FMS_KEY_PASSWORD: '' }),
  ]) {
    assert.is(r.status, 2, show(r));
    assert.is(errLines(r).length, 1, show(r));
    assert.match(r.stderr, /cannot decrypt key file `enc\.pem`: wrong passphrase/);
    assert.not.ok(r.stderr.includes(wrong) && r.stdout.includes(wrong));
    assert.not.ok((r.stderr + r.stdout).includes(wrong), 'the passphrase is never echoed');
    assert.not.ok(existsSync(join(dir, 'w.fmspack')));
  }
  // No passphrase and no terminal: say how to give one.
  const none = run(FMSC, ['build', EXAMPLE, '--key', 'enc.pem', '-o', 'w.fmspack'], dir);
  assert.is(none.status, 2, show(none));
  assert.is(errLines(none).length, 1, show(none));
  assert.match(none.stderr, /key file `enc\.pem` needs a passphrase: set FMS_KEY_PASSWORD or run on a terminal/);
  const noneGen = run(FMSC, ['keygen', 'enc2.pem', '--passphrase'], dir);
  assert.is(noneGen.status, 2, show(noneGen));
  assert.not.ok(existsSync(join(dir, 'enc2.pem')));
  const empty = run(FMSC, ['keygen', 'enc3.pem', '--passphrase'], dir, { FMS_KEY_PASSWORD: '' });
  assert.is(empty.status, 2, show(empty));
  assert.match(empty.stderr, /the passphrase is empty/);
  assert.not.ok(existsSync(join(dir, 'enc3.pem')));
});

test('encrypted keys are standard PKCS#8: openssl reads them with the passphrase, not without', () => {
  if (spawnSync('openssl', ['version']).error) {
    process.stderr.write('SKIPPED build-signing openssl interop: openssl not on PATH\n');
    return;
  }
  const pw = 'interop-pass';
  assert.is(run(FMSC, ['keygen', 'ossl.pem', '--passphrase'], dir, { FMS_KEY_PASSWORD: pw }).status, 0);
  const ok = spawnSync('openssl', ['pkey', '-in', join(dir, 'ossl.pem'), '-passin', `pass:${pw}`, '-pubout'], { encoding: 'utf8' });
  assert.is(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /BEGIN PUBLIC KEY/);
  const bad = spawnSync('openssl', ['pkey', '-in', join(dir, 'ossl.pem'), '-passin', 'pass:nope', '-pubout'], { encoding: 'utf8' });
  assert.is.not(bad.status, 0);
});

test('on a terminal (a pty from script(1)) keygen --passphrase asks twice with echo off, and build asks once; nothing echoes the passphrase', () => {
  if (spawnSync('script', ['--version']).error) {
    process.stderr.write('SKIPPED build-signing tty prompt: script(1) not on PATH (util-linux)\n');
    return;
  }
  const pw = 'tty-secret-42';
  // The answers arrive after the prompt has turned echo off (the sleeps), as a person types them.
  const tty = (cmd: string, answers: string[]): ReturnType<typeof spawnSync> =>
    spawnSync('bash', ['-c', `(${answers.map((a) => `sleep 1.5; printf '%s\\n' '${a}'`).join('; ')}) | script -qec '${cmd.replace(/'/g, `'\\''`)}' /dev/null`], {
      cwd: dir,
      encoding: 'utf8',
      env: baseEnv(dir),
      timeout: 60_000,
    });
  const g = tty(`node ${FMSC} keygen tty.pem --passphrase`, [pw, pw]);
  assert.is(g.status, 0, String(g.stdout) + String(g.stderr));
  assert.match(String(g.stdout), /passphrase for the new key `tty\.pem`: /);
  assert.match(String(g.stdout), /repeat the passphrase for the new key `tty\.pem`: /);
  assert.not.ok(String(g.stdout).includes(pw), 'the passphrase was not echoed');
  assert.match(readFileSync(join(dir, 'tty.pem'), 'utf8'), /ENCRYPTED PRIVATE KEY/);
  const mismatch = tty(`node ${FMSC} keygen tty2.pem --passphrase; echo "rc=$?"`, [pw, pw + 'x']);
  assert.match(String(mismatch.stdout), /the passphrases do not match/);
  assert.match(String(mismatch.stdout), /rc=2/);
  assert.not.ok(existsSync(join(dir, 'tty2.pem')));
  const b = tty(`node ${FMSC} build ${EXAMPLE} --key tty.pem -o tty.fmspack; echo "rc=$?"`, [pw]);
  assert.match(String(b.stdout), /passphrase for key file `tty\.pem`: /);
  assert.match(String(b.stdout), /rc=0/);
  assert.not.ok(String(b.stdout).includes(pw));
  const w = tty(`node ${FMSC} build ${EXAMPLE} --key tty.pem -o tty-w.fmspack; echo "rc=$?"`, ['not-it']);
  assert.match(String(w.stdout), /cannot decrypt key file `tty\.pem`: wrong passphrase/);
  assert.match(String(w.stdout), /rc=2/);
  assert.not.ok(String(w.stdout).includes('not-it'));
});

test.run();
