// Issue 12: decision-log checkpoints signed through a key store.
// `fms-run serve --log-key pkcs11:…` against SoftHSM2 (a P-256 key that never
// leaves the token): write records, SIGTERM, then `fms-run log verify
// --trust` passes with the key pinned (ecdsa-p256-sha256), and a log whose
// checkpoints come from an unpinned token key fails. The runtime loads
// `@fms/signers` only for such a uri (dynamic import, optional peer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kmsSigner } from '@fms/compiler/sign';
import { SIGNER_SCHEMES } from '@fms/signers';
import { openSigner, signerFromUri, SignerError, STORE_SCHEMES, type Signer } from '@fms/runtime/daemon';
import { createSoftHsm, generateTokenKeys, requireSoftHsmOrSkip, type SoftHsm } from '../helpers/softhsm';
import { exchange, setup, spawnServe, type Setup } from '../runtime/daemon/fixtures';
import { runCli } from '../compiler/sign/cli';

test('the runtime knows the same key store schemes as @fms/signers', () => {
  assert.equal([...STORE_SCHEMES], [...SIGNER_SCHEMES]);
});

test('openSigner fails closed with one line: unknown scheme, @fms/signers missing or broken, a key store error, an unsupported algorithm', async () => {
  const rejects = async (p: Promise<unknown>, re: RegExp): Promise<void> => {
    try {
      await p;
      assert.unreachable('resolved');
    } catch (e) {
      assert.instance(e, SignerError);
      assert.match((e as Error).message, re);
      assert.not.match((e as Error).message, /\n/);
    }
  };
  const missing = Object.assign(new Error("Cannot find package '@fms/signers' imported from /x\nRequire stack: …"), { code: 'ERR_MODULE_NOT_FOUND' });
  await rejects(openSigner('pkcs11:token=a;object=b', {}, () => Promise.reject(missing)), /^log key `pkcs11:` needs the optional package `@fms\/signers`, which is not installed/);
  await rejects(openSigner('awskms:///alias/x', {}, () => Promise.reject(new Error('boom\nstack'))), /^the optional package `@fms\/signers` does not load: boom$/);
  await rejects(openSigner('hashivault://k', {}, async () => ({ openSigner: () => Promise.reject(new Error('hashivault: no token\nmore')) })), /^log key: hashivault: no token$/);
  let closed = false;
  const rsa = { keyId: 'sha256:00', algorithm: 'rsa-pss' as unknown as Signer['algorithm'], sign: async () => new Uint8Array(), close: () => void (closed = true) };
  await rejects(openSigner('gcpkms://x', {}, async () => ({ openSigner: async () => rsa })), /checkpoints are signed with Ed25519 or ECDSA P-256/);
  assert.ok(closed, 'a refused signer is closed');
  for (const uri of ['ftp://x', 'kms:x', 'FILE:/x', 'toString:', '__proto__:', 'constructor:', '', 'pkcs11', 'awskms:/x'])
    await rejects(openSigner(uri, {}, () => assert.unreachable('the package is not loaded for an unknown scheme') as never), /unknown log key/);
  assert.throws(() => signerFromUri('pkcs11:token=a'), /is a key store uri: open it with openSigner\(\)/);
  // the real package, through the real dynamic import: a pkcs11 uri without a module path is refused by it
  await rejects(openSigner('pkcs11:token=a;object=b', {}), /^log key: pkcs11 uri needs `module-path=`/);
});

let hsm: SoftHsm | undefined;
const haveHsm = requireSoftHsmOrSkip('kms-log-checkpoint');
test.before(() => {
  if (!haveHsm) return;
  hsm = createSoftHsm('fms-log');
  generateTokenKeys(hsm, [
    { label: 'log-p256', id: 7, kind: 'p256' },
    { label: 'rogue-p256', id: 8, kind: 'p256' },
  ]);
});
test.after(() => hsm?.cleanup());

/** Pins the token key `label` (its public key, read through the signer) in the setup's trust file. */
async function pinTokenKey(s: Setup, uri: string): Promise<string> {
  const k = await kmsSigner(uri);
  await k.close?.();
  assert.is(k.algorithm, 'ecdsa-p256-sha256');
  const trust = JSON.parse(readFileSync(s.trustPath, 'utf8')) as { keys: unknown[] };
  trust.keys.push({ id: k.keyId, algorithm: k.algorithm, public_key: Buffer.from(k.publicKeySpki).toString('base64'), comment: 'log checkpoints (SoftHSM2)' });
  writeFileSync(s.trustPath, JSON.stringify(trust));
  return k.keyId;
}

/** Serves with `--log-key uri`, answers `n` requests, stops with SIGTERM; returns the log path. */
async function serveAndStop(s: Setup, uri: string, name: string, n: number): Promise<string> {
  const log = join(s.dir, name);
  const srv = await spawnServe(s, ['--log', log, '--log-key', uri, '--checkpoint-every', '5', '--checkpoint-seconds', '0'], `${name}.sock`);
  try {
    const lines = Array.from({ length: n }, (_, i) => JSON.stringify({ id: i, agent: 'bot', tool: i % 2 ? 'read/file' : 'pay/card', args: { card: '4111', token: 't' } })).join('\n') + '\n';
    const answers = (await exchange(srv.socket, lines, n)) as { id: number }[];
    assert.equal(answers.map((a) => a.id), Array.from({ length: n }, (_, i) => i));
  } finally {
    srv.child.kill('SIGTERM');
  }
  assert.is(await srv.exited, 0, srv.stderr());
  assert.not.match(srv.stderr(), /has no --log-key/);
  return log;
}

test('serve --log-key pkcs11:… (SoftHSM2, P-256): checkpoints verify against the pinned token key; an unpinned token key fails', async () => {
  if (!hsm) return;
  const s = await setup('fms-kms-log-');
  const uri = hsm.uri('log-p256');
  const keyId = await pinTokenKey(s, uri);
  const log = await serveAndStop(s, uri, 'hsm.log', 12);
  const records = readFileSync(log, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { type?: string; envelope?: { signatures: { keyid: string; sig: string }[] } });
  const checkpoints = records.filter((r) => r.type === 'checkpoint');
  assert.ok(checkpoints.length >= 2, `a checkpoint during the run (every 5 records; signings in flight are shared) and one at shutdown (${checkpoints.length})`);
  for (const c of checkpoints) {
    assert.is(c.envelope!.signatures[0]!.keyid, keyId);
    assert.is(Buffer.from(c.envelope!.signatures[0]!.sig, 'base64').length, 64, 'a 64-byte r||s ECDSA signature');
  }
  const ok = await runCli('fms-run', ['log', 'verify', log, '--trust', s.trustPath, '--require-signed', '--format', 'json']);
  assert.is(ok.code, 0, ok.stderr + ok.stdout);
  const res = JSON.parse(ok.stdout) as { signers?: string[]; checkpoints?: number };
  assert.equal(res.signers, [keyId]);

  // the same daemon with a token key that the trust file does not pin
  const rogue = await serveAndStop(s, hsm.uri('rogue-p256'), 'rogue.log', 6);
  const bad = await runCli('fms-run', ['log', 'verify', rogue, '--trust', s.trustPath]);
  assert.is(bad.code, 3, bad.stderr + bad.stdout);
  assert.match(bad.stdout + bad.stderr, /not pinned/);

  // a forged checkpoint: the pinned key's signature moved onto a checkpoint of the rogue log fails too
  const forgedLines = readFileSync(rogue, 'utf8').trimEnd().split('\n');
  const idx = forgedLines.findIndex((l) => l.includes('"type":"checkpoint"'));
  const cp = JSON.parse(forgedLines[idx]!) as { envelope: { signatures: { keyid: string; sig: string }[] } };
  cp.envelope.signatures = [{ keyid: keyId, sig: checkpoints[0]!.envelope!.signatures[0]!.sig }];
  forgedLines[idx] = JSON.stringify(cp);
  const forged = join(s.dir, 'forged.log');
  writeFileSync(forged, forgedLines.join('\n') + '\n');
  const f = await runCli('fms-run', ['log', 'verify', forged, '--trust', s.trustPath]);
  assert.is(f.code, 3, f.stderr + f.stdout);
});

test('serve --log-key with a bad key store uri exits 2 with one line, before listening', async () => {
  const s = await setup('fms-kms-log-bad-');
  for (const [uri, want] of [
    ['pkcs11:token=nope;object=x?module-path=/nonexistent/libsofthsm2.so', /pkcs11: cannot load module/],
    ['hashivault://k', /hashivault/],
    ['awskms://nokey', /awskms uri must be/],
  ] as const) {
    const r = await runCli('fms-run', ['serve', s.packPath, '--socket', join(s.dir, 'b.sock'), '--trust', s.trustPath, '--no-state', '--log', join(s.dir, 'b.log'), '--log-key', uri], { VAULT_ADDR: 'http://127.0.0.1:9', VAULT_TOKEN: '' , HOME: s.dir });
    assert.is(r.code, 2, uri + r.stderr);
    assert.match(r.stderr, want);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test.run();
