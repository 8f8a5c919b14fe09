// fmsc keygen / pubkey / sign --key (spawned through the real fmsc entry point).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePack, tempDir } from '../../runtime/trust/fixtures';
import { ed25519Key } from '../../runtime/trust/fixtures';
import { runCli } from './cli';

test('fmsc keygen: 0600 key file, public key and a ready trust entry, never the private key', async () => {
  const dir = tempDir();
  const key = join(dir, 'release.pem');
  const r = await runCli('fmsc', ['keygen', key]);
  assert.is(r.code, 0, r.stderr);
  assert.is(statSync(key).mode & 0o777, 0o600);
  assert.match(r.stdout, /key id: sha256:[0-9a-f]{64}/);
  assert.match(r.stdout, /"algorithm": "ed25519"/);
  const secret = readFileSync(key, 'utf8').split('\n')[1]!;
  assert.not.ok(r.stdout.includes(secret.slice(-20)) || r.stderr.includes(secret.slice(-20)));
  const again = await runCli('fmsc', ['keygen', key]);
  assert.is(again.code, 2);
  assert.match(again.stderr, /already exists/);
  const j = await runCli('fmsc', ['keygen', join(dir, 'k2.pem'), '--format', 'json']);
  const out = JSON.parse(j.stdout) as { key_id: string; trust_entry: { id: string; public_key: string } };
  assert.is(out.trust_entry.id, out.key_id);
  const pub = await runCli('fmsc', ['pubkey', '--key', join(dir, 'k2.pem'), '--format', 'json']);
  assert.is((JSON.parse(pub.stdout) as { key_id: string }).key_id, out.key_id);
  const pub2 = await runCli('fmsc', ['pubkey', '--kms', `file:${join(dir, 'k2.pem')}`, '--format', 'json']);
  assert.is((JSON.parse(pub2.stdout) as { key_id: string }).key_id, out.key_id);
});

test('fmsc sign --key appends a signature; bad uri scheme and missing key are usage errors', async () => {
  const dir = tempDir();
  const a = ed25519Key(dir, 'a');
  const pack = join(dir, 'p.fmspack');
  writeFileSync(pack, await makePack(a));
  await runCli('fmsc', ['keygen', join(dir, 'b.pem')]);
  const r = await runCli('fmsc', ['sign', '--key', join(dir, 'b.pem'), pack, '--format', 'json']);
  assert.is(r.code, 0, r.stderr);
  assert.match(JSON.parse(r.stdout).key_id as string, /^sha256:/);
  const bad = await runCli('fmsc', ['sign', '--kms', 'ftp://x', pack]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /unsupported key uri scheme `ftp:`/);
  const none = await runCli('fmsc', ['sign', pack]);
  assert.is(none.code, 2);
  writeFileSync(join(dir, 'junk.fmspack'), 'junk');
  const junk = await runCli('fmsc', ['sign', '--key', join(dir, 'b.pem'), join(dir, 'junk.fmspack')]);
  assert.is(junk.code, 3);
  assert.match(junk.stderr, /bad magic/);
});

test.run();
