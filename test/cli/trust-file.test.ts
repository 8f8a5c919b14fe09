// `fmsc trust init|add|remove|set|revoke|show` (issue 16): writes the JSON
// fms-run reads, atomically, 0644, validated by the runtime's own parser; never
// touches a file fms-run would refuse. Through the real bundled CLIs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { generateKeyPairSync } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseTrustRoots } from '@fms/runtime';
import { errLines, EXAMPLE, FMS_RUN, FMSC, run, scratch, show } from './cli-env';

const dir = scratch('fms-trust-file-');
const trust = join(dir, 'trust.json');
const ids: Record<string, string> = {};

const keyIdOf = (file: string): string => JSON.parse(run(FMSC, ['pubkey', '--key', file, '--format', 'json'], dir).stdout).key_id as string;
const readTrust = (p = trust): { keys: { id: string; comment?: string }[]; scopes: { prefix: string; keys: string[]; threshold: number; min_serial?: number }[]; revoked?: string[] } =>
  JSON.parse(readFileSync(p, 'utf8'));

test.before(() => {
  for (const k of ['a', 'b', 'c']) {
    assert.is(run(FMSC, ['keygen', `${k}.pem`], dir).status, 0);
    ids[k] = keyIdOf(`${k}.pem`);
  }
  // A P-256 public key PEM (what an HSM or a cloud KMS exports).
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  writeFileSync(join(dir, 'p256.pub.pem'), publicKey.export({ type: 'spki', format: 'pem' }));
});

test('init writes an empty, valid trust file (0644) and refuses to clobber one', () => {
  const r = run(FMSC, ['trust', 'init', trust, '--comment', 'prod hosts'], dir);
  assert.is(r.status, 0, show(r));
  assert.is(statSync(trust).mode & 0o777, 0o644);
  assert.equal(readTrust(), { version: 1, comment: 'prod hosts', keys: [], scopes: [] } as never);
  parseTrustRoots(readFileSync(trust, 'utf8'));
  const again = run(FMSC, ['trust', 'init', trust], dir);
  assert.is(again.status, 2);
  assert.equal(errLines(again), [`fmsc: \`${trust}\` already exists (use --force to replace it, or edit it with \`fmsc trust add\`)`]);
});

test('add: a private key file (public half pinned), a public key PEM, scopes, thresholds; the runtime accepts the result and fms-run verifies with it', () => {
  let r = run(FMSC, ['trust', 'add', trust, '--key', 'a.pem', '--comment', 'release A'], dir);
  assert.is(r.status, 0, show(r));
  assert.match(r.stderr, new RegExp(`pinned ${ids.a} \\(ed25519, key file \`a\\.pem\`\\) for scope \`\\*\``));
  assert.not.match(readFileSync(trust, 'utf8'), /PRIVATE/);
  r = run(FMSC, ['trust', 'add', trust, '--key', 'b.pem', '--scope', 'acme/payments'], dir);
  assert.is(r.status, 0, show(r));
  r = run(FMSC, ['trust', 'add', trust, '--key', 'c.pem', '--scope', 'acme/payments', '--threshold', '2', '--format', 'json'], dir);
  assert.is(r.status, 0, show(r));
  assert.equal(JSON.parse(r.stdout).scopes, ['acme/payments']);
  r = run(FMSC, ['trust', 'add', trust, '--key', 'p256.pub.pem', '--scope', 'acme/payments'], dir);
  assert.is(r.status, 0, show(r));
  const t = readTrust();
  assert.equal(t.scopes.map((s) => [s.prefix, s.keys.length, s.threshold]), [['*', 1, 1], ['acme/payments', 3, 2]]);
  assert.is(t.keys.find((k) => k.id === ids.a)?.comment, 'release A');
  const roots = parseTrustRoots(readFileSync(trust, 'utf8'));
  assert.is(roots.keys.size, 4);
  assert.ok([...roots.keys.values()].some((k) => k.algorithm === 'ecdsa-p256-sha256'));
  // Adding the same key again changes nothing but the scopes named.
  const before = readFileSync(trust, 'utf8');
  assert.is(run(FMSC, ['trust', 'add', trust, '--key', 'a.pem'], dir).status, 0);
  assert.is(readFileSync(trust, 'utf8'), before);
  // fms-run reads the result: a pack for acme/payments signed by b and c verifies; by b alone it is refused (threshold 2).
  assert.is(run(FMSC, ['build', EXAMPLE, '--name', 'acme/payments', '--key', 'b.pem', '--key', 'c.pem', '-o', 'bc.fmspack'], dir).status, 0);
  assert.is(run(FMSC, ['build', EXAMPLE, '--name', 'acme/payments', '--key', 'b.pem', '-o', 'b.fmspack'], dir).status, 0);
  const ok = run(FMS_RUN, ['verify', 'bc.fmspack', '--trust', trust, '--no-state'], dir);
  assert.is(ok.status, 0, show(ok));
  const one = run(FMS_RUN, ['verify', 'b.fmspack', '--trust', trust, '--no-state'], dir);
  assert.is(one.status, 3, show(one));
  assert.match(one.stderr, /\[threshold\]/);
});

test('show: a table, and --format json with the file as written', () => {
  const r = run(FMSC, ['trust', 'show', trust], dir);
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, new RegExp(`^  ${ids.a} +ed25519 +release A$`, 'm'));
  assert.match(r.stdout, /^  acme\/payments  threshold 2 of 3  min_serial 0$/m);
  assert.match(r.stdout, /ecdsa-p256-sha256/);
  const j = run(FMSC, ['trust', 'show', trust, '--format', 'json'], dir);
  assert.is(j.status, 0, show(j));
  const doc = JSON.parse(j.stdout);
  assert.is(doc.version, 1);
  assert.equal(doc.trust, readTrust());
});

test('set, revoke, remove: validated edits; a remove that would break a threshold is refused and the file is untouched', () => {
  let r = run(FMSC, ['trust', 'set', trust, '--scope', 'acme/payments', '--min-serial', '100'], dir);
  assert.is(r.status, 0, show(r));
  assert.is(readTrust().scopes[1]!.min_serial, 100);
  const low = run(FMS_RUN, ['verify', 'bc.fmspack', '--trust', trust, '--no-state'], dir);
  assert.is(low.status, 0, 'the build serial (seconds since 1970) is above 100');
  r = run(FMSC, ['trust', 'set', trust, '--scope', 'acme/payments', '--threshold', '4'], dir);
  assert.is(r.status, 2);
  assert.match(r.stderr, /--threshold 4 is more than the 3 key\(s\) of scope `acme\/payments`/);
  r = run(FMSC, ['trust', 'set', trust, '--scope', 'acme/nope', '--threshold', '1'], dir);
  assert.is(r.status, 2);
  assert.match(r.stderr, /no scope `acme\/nope`/);
  // revoke: a revoked key never counts.
  r = run(FMSC, ['trust', 'revoke', trust, ids.c!], dir);
  assert.is(r.status, 0, show(r));
  const rev = run(FMS_RUN, ['verify', 'bc.fmspack', '--trust', trust, '--no-state'], dir);
  assert.is(rev.status, 3, show(rev));
  assert.match(rev.stderr, /1 by revoked keys/);
  assert.is(run(FMSC, ['trust', 'revoke', trust, ids.c!], dir).status, 2, 'already revoked');
  assert.is(run(FMSC, ['trust', 'revoke', trust, ids.c!, '--undo'], dir).status, 0);
  assert.is(readTrust().revoked, undefined);
  // remove: threshold 2 of {b, c, p256} → removing b leaves 2 keys: fine; removing c then would leave 1 < 2: refused.
  r = run(FMSC, ['trust', 'remove', trust, ids.b!], dir);
  assert.is(r.status, 0, show(r));
  const before = readFileSync(trust, 'utf8');
  r = run(FMSC, ['trust', 'remove', trust, ids.c!], dir);
  assert.is(r.status, 2, show(r));
  assert.is(errLines(r).length, 1);
  assert.match(r.stderr, /scope `acme\/payments` needs 2 signatures and would keep 1 key\(s\): lower it first/);
  assert.is(readFileSync(trust, 'utf8'), before);
  // removing a's key drops the `*` scope it alone populated.
  r = run(FMSC, ['trust', 'remove', trust, ids.a!], dir);
  assert.is(r.status, 0, show(r));
  assert.match(r.stderr, /dropped scope left without keys: `\*`/);
  assert.equal(readTrust().scopes.map((s) => s.prefix), ['acme/payments']);
  parseTrustRoots(readFileSync(trust, 'utf8'));
});

test('hostile trust files are refused with one line and never rewritten: directory, symlink, huge, not JSON, invalid for fms-run, prototype keys', () => {
  const target = join(dir, 'real.json');
  assert.is(run(FMSC, ['trust', 'init', target], dir).status, 0);
  const link = join(dir, 'link.json');
  symlinkSync(target, link);
  const asDir = join(dir, 'adir.json');
  mkdirSync(asDir);
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, `{"version":1,"keys":[],"scopes":[],"comment":"${'x'.repeat(1 << 20)}"}`);
  const notJson = join(dir, 'bad.json');
  writeFileSync(notJson, '{"version": 1, "keys": [');
  const typo = join(dir, 'typo.json');
  writeFileSync(typo, JSON.stringify({ version: 1, keys: [], scopes: [{ prefix: '*', keys: [], treshold: 1 }] }));
  const proto = join(dir, 'proto.json');
  writeFileSync(proto, '{"version":1,"keys":[],"scopes":[],"__proto__":{"polluted":true}}');
  const ctor = join(dir, 'ctor.json');
  writeFileSync(ctor, '{"version":1,"keys":[],"scopes":[],"constructor":{"prototype":{"polluted":true}}}');
  const protoId = join(dir, 'proto-id.json');
  writeFileSync(protoId, JSON.stringify({ version: 1, keys: [{ id: '__proto__', algorithm: 'ed25519', public_key: 'x' }], scopes: [{ prefix: '*', keys: ['__proto__'], threshold: 1 }] }));
  const nul = join(dir, 'null.json');
  writeFileSync(nul, 'null');
  const fifo = join(dir, 'fifo.json');
  spawnSync('mkfifo', [fifo]);
  const deep = join(dir, 'deep.json');
  writeFileSync(deep, `{"version":1,"keys":[],"scopes":[],"comment":${'['.repeat(300_000)}${']'.repeat(300_000)}}`);
  const bom = join(dir, 'bom.json');
  writeFileSync(bom, '\ufeff{"version":1,"keys":[],"scopes":[]}');
  const cases: [string, RegExp][] = [
    [link, /is a symlink: edit the file it points to/],
    [asDir, /is not a regular file/],
    [huge, /is larger than 1048576 bytes/],
    [notJson, /is not valid JSON .*fmsc trust never overwrites a file it cannot read/],
    [typo, /is not a trust file fms-run accepts: invalid trust file: .*fix it by hand first/],
    [proto, /unknown field `__proto__`/],
    [ctor, /unknown field `constructor`/],
    [nul, /the trust file must be an object/],
    [protoId, /keys\[0\]\.id must be `sha256:<64 hex>`/],
    ...(existsSync(fifo) ? [[fifo, /is not a regular file/] as [string, RegExp]] : []),
    [deep, /`comment` must be a string/],
    [bom, /is not valid JSON/],
    [join(dir, 'missing.json'), /cannot read trust file `[^`]*missing\.json`: no such file \(create it with `fmsc trust init`\)/],
  ];
  for (const [file, want] of cases) {
    const before = existsSync(file) && statSync(file).isFile() ? readFileSync(file) : null;
    for (const args of file === link ? [['add', file, '--key', 'a.pem'], ['show', file], ['revoke', file, ids.a!], ['set', file, '--scope', '*', '--threshold', '1']] : [['add', file, '--key', 'a.pem'], ['show', file]]) {
      const r = run(FMSC, ['trust', ...args], dir);
      assert.is(r.status, 2, `${args.join(' ')}\n${show(r)}`);
      assert.is(errLines(r).length, 1, show(r));
      assert.match(r.stderr, want, args.join(' '));
      if (before) assert.equal(readFileSync(file), before, `${file} unchanged`);
    }
  }
  assert.ok(statSync(link).isFile() && readFileSync(link, 'utf8') === readFileSync(target, 'utf8'));
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('show keeps and prints the name bindings it does not manage (expected_name, deployments with prototype-like ids)', () => {
  const t = join(dir, 'bound.json');
  assert.is(run(FMSC, ['trust', 'init', t], dir).status, 0);
  const j = JSON.parse(readFileSync(t, 'utf8'));
  writeFileSync(t, JSON.stringify({ ...j, expected_name: 'acme/payments', deployments: { constructor: { expected_name: 'acme/payments' }, prod: { expected_name: 'acme/payments', comment: 'x' } } }));
  assert.is(run(FMSC, ['trust', 'add', t, '--key', 'a.pem'], dir).status, 0);
  const after = JSON.parse(readFileSync(t, 'utf8'));
  // (compared as text: uvu's deep equality reads an own `constructor` key as the object's constructor)
  assert.is(JSON.stringify(after.deployments), JSON.stringify({ constructor: { expected_name: 'acme/payments' }, prod: { expected_name: 'acme/payments', comment: 'x' } }));
  assert.is(after.expected_name, 'acme/payments');
  const r = run(FMSC, ['trust', 'show', t], dir);
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, /^expected_name: acme\/payments$/m);
  assert.match(r.stdout, /^deployments \(2\):\n {2}constructor → acme\/payments\n {2}prod → acme\/payments$/m);
});

test('hostile arguments: key ids that are prototype names, wrong forms, scopes, unknown flags, no key source, a key that is a directory', () => {
  const t = join(dir, 'args.json');
  assert.is(run(FMSC, ['trust', 'init', t], dir).status, 0);
  const before = readFileSync(t);
  writeFileSync(join(dir, 'notakey.txt'), 'hello\n', { mode: 0o600 });
  const cases: [string[], RegExp][] = [
    [['remove', t, '__proto__'], /`__proto__` is not a key id: expected `sha256:<64 hex>`/],
    [['remove', t, 'constructor'], /`constructor` is not a key id/],
    [['revoke', t, 'toString'], /`toString` is not a key id/],
    [['revoke', t, `${ids.a}x`], /is not a key id/],
    [['remove', t, ids.a!], /no key `sha256:[0-9a-f]{64}` in/],
    [['add', t, '--key', 'a.pem', '--scope', '../etc'], /scope `\.\.\/etc` must be `\*` or a pack-name prefix/],
    [['add', t, '--key', 'a.pem', '--scope', 'acme', '--scope', 'acme'], /the same --scope was given twice/],
    [['add', t, '--key', 'a.pem', '--threshold', '0'], /--threshold must be a whole number ≥ 1/],
    [['add', t, '--key', 'a.pem', '--threshold', '1e3'], /--threshold must be a whole number ≥ 1/],
    [['add', t], /give exactly one of `--key FILE`/],
    [['add', t, '--key', 'a.pem', '--kms', 'file:a.pem'], /give exactly one of `--key FILE`/],
    [['add', t, '--key', dir], /is not a regular file/],
    [['add', t, '--key', 'notakey.txt'], /is not a pkcs#8 ed25519 private key \(nor a public key pem\)/],
    [['add', t, '--key', 'trust.json'], /is accessible by other users/],
    [['add', t, '--kms', 'ftp://x'], /unsupported key uri scheme/],
    [['add', t, '--key', 'a.pem', '--bogus'], /unknown option '--bogus'/],
    [['set', t, '--scope', '*'], /nothing to set/],
    [['frobnicate', t], /unknown command 'frobnicate'/],
  ];
  for (const [args, want] of cases) {
    const r = run(FMSC, ['trust', ...args], dir);
    assert.is(r.status, 2, `${args.join(' ')}\n${show(r)}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(readFileSync(t), before, `${args.join(' ')} left the file alone`);
  }
  // A scope named like a prototype member is just a pack-name prefix (arrays and Maps: nothing reaches Object.prototype).
  const r = run(FMSC, ['trust', 'add', t, '--key', 'a.pem', '--scope', '__proto__', '--scope', 'constructor'], dir);
  assert.is(r.status, 0, show(r));
  assert.equal(readTrust(t).scopes.map((s) => s.prefix), ['__proto__', 'constructor']);
  parseTrustRoots(readFileSync(t, 'utf8'));
});

test('an encrypted key file: add asks for its passphrase (FMS_KEY_PASSWORD) and pins only the public half', () => {
  const t = join(dir, 'enc-trust.json');
  assert.is(run(FMSC, ['trust', 'init', t], dir).status, 0);
  assert.is(run(FMSC, ['keygen', 'enc.pem', '--passphrase'], dir, { FMS_KEY_PASSWORD: 'pw-123456' }).status, 0);
  const bad = run(FMSC, ['trust', 'add', t, '--key', 'enc.pem'], dir, { FMS_KEY_PASSWORD: 'nope' });
  assert.is(bad.status, 2, show(bad));
  assert.match(bad.stderr, /wrong passphrase/);
  const ok = run(FMSC, ['trust', 'add', t, '--key', 'enc.pem'], dir, { FMS_KEY_PASSWORD: 'pw-123456' });
  assert.is(ok.status, 0, show(ok));
  assert.is(readTrust(t).keys.length, 1);
});

test('completion knows `fmsc trust` and its subcommands', () => {
  const r = run(FMSC, ['completion', 'bash'], dir);
  assert.is(r.status, 0, show(r));
  assert.match(r.stdout, /\btrust\b/);
  assert.match(r.stdout, /init add remove set revoke show/);
});

test.run();
