// Real PKCS#11: a throw-away SoftHSM2 token, keys generated inside it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSoftHsm, generateTokenKeys, requireSoftHsmOrSkip, type SoftHsm } from '../helpers/softhsm';
import { addSignature, kmsSigner, type Signer } from '@fms/compiler/sign';
import { parsePkcs11Uri, resolvePin } from '@fms/signers';
import { decodeContainer } from '@fms/runtime/format';
import { decodeEnvelope, MANIFEST_PAYLOAD_TYPE, pae } from '@fms/runtime/format';
import { isCanonicalLowS } from '@fms/runtime/crypto';
import { PackRefusal, verifyPack } from '@fms/runtime';
import { ed25519Key, makePack, NOW, tempDir, trustFor, trustJson } from '../runtime/trust/fixtures';
import { runCli } from '../compiler/sign/cli';

test('rfc 7512 uri parsing: path and query attributes, percent-encoding, id bytes', () => {
  const u = parsePkcs11Uri('pkcs11:token=My%20Token;object=sig%2Fkey;id=%01%ff;x-vendor=1?module-path=/usr/lib/x.so&pin-value=1234');
  assert.is(u.path.get('token'), 'My Token');
  assert.is(u.path.get('object'), 'sig/key');
  assert.equal(Array.from(u.id!), [1, 255]);
  assert.is(u.query.get('module-path'), '/usr/lib/x.so');
  assert.is(resolvePin(u, {}), '1234');
  assert.throws(() => parsePkcs11Uri('pkcs11:tokn=x'), /unknown path attribute `tokn`/);
  assert.throws(() => parsePkcs11Uri('pkcs11:token=a;token=b'), /given twice/);
  assert.throws(() => parsePkcs11Uri('pkcs11:id=%zz'), /percent-encoding/);
  assert.throws(() => parsePkcs11Uri('pkcs11:token=a?pin-value=1&pin-source=file:/x'), /not both/);
  const dir = tempDir('fms-pin-');
  writeFileSync(join(dir, 'pin'), '9999\nignored\n');
  assert.is(resolvePin(parsePkcs11Uri(`pkcs11:token=a?pin-source=file:${dir}/pin`), {}), '9999');
  assert.is(resolvePin(parsePkcs11Uri(`pkcs11:token=a?pin-source=file://${dir}/pin`), {}), '9999');
  assert.is(resolvePin(parsePkcs11Uri('pkcs11:token=a'), { FMS_PKCS11_PIN: '77' }), '77');
});

const haveHsm = requireSoftHsmOrSkip('pkcs11 (SoftHSM2)');
let hsm: SoftHsm;
let ed: Signer;
let p256: Signer;

test.before(async () => {
  if (!haveHsm) return;
  hsm = createSoftHsm();
  const attrs = generateTokenKeys(hsm, [
    { label: 'ed', id: 1, kind: 'ed25519' },
    { label: 'p256', id: 2, kind: 'p256' },
  ]);
  for (const a of Object.values(attrs)) {
    assert.is(a.extractable, false);
    assert.is(a.sensitive, true);
    assert.is(a.valueReadable, false, 'private key value must not be readable');
  }
  ed = await kmsSigner(hsm.uri('ed'));
  p256 = await kmsSigner(hsm.uri('p256', ';id=%02'));
});

test.after(async () => {
  if (!haveHsm) return;
  await ed?.close?.();
  await p256?.close?.();
  hsm.cleanup();
});

if (haveHsm) {
  test('keys in the token sign packs that verify with a matching trust root (ed25519 + p-256, 2 of 2)', async () => {
    assert.is(ed.algorithm, 'ed25519');
    assert.is(p256.algorithm, 'ecdsa-p256-sha256');
    const dir = tempDir();
    const local = ed25519Key(dir, 'local');
    let pack = await makePack(local);
    pack = await addSignature(pack, ed);
    pack = await addSignature(pack, p256);
    const v = verifyPack(pack, { trust: trustFor([ed, p256], [{ prefix: 'acme', threshold: 2 }]), now: NOW });
    assert.equal(v.signers, [ed.keyId, p256.keyId].sort());
    // p-256 signatures from the token are stored low-S; 20 of them to exercise normalisation
    for (let i = 0; i < 20; i++) assert.ok(isCanonicalLowS(await p256.sign(new Uint8Array([i]))));
  });

  test('an independent verifier agrees: node:crypto for ed25519, the openssl command for p-256', async () => {
    const dir = tempDir();
    const pack = await addSignature(await addSignature(await makePack(ed25519Key(dir, 'l')), ed), p256);
    const env = decodeEnvelope(decodeContainer(pack).envelope);
    const msg = pae(MANIFEST_PAYLOAD_TYPE, env.payload);
    const edSig = env.signatures.find((s) => s.keyid === ed.keyId)!.sig;
    const edKey = createPublicKey({ key: Buffer.from(ed.publicKeySpki), format: 'der', type: 'spki' });
    assert.ok(nodeVerify(null, msg, edKey, edSig));
    const pSig = env.signatures.find((s) => s.keyid === p256.keyId)!.sig;
    // r||s → DER for openssl
    const int = (b: Uint8Array): Buffer => {
      let x = Buffer.from(b);
      while (x.length > 1 && x[0] === 0 && x[1]! < 0x80) x = x.subarray(1);
      if (x[0]! >= 0x80) x = Buffer.concat([Buffer.from([0]), x]);
      return Buffer.concat([Buffer.from([2, x.length]), x]);
    };
    const seq = Buffer.concat([int(pSig.subarray(0, 32)), int(pSig.subarray(32))]);
    const der = Buffer.concat([Buffer.from([0x30, seq.length]), seq]);
    writeFileSync(join(dir, 'msg.bin'), msg);
    writeFileSync(join(dir, 'sig.der'), der);
    writeFileSync(join(dir, 'pub.pem'), createPublicKey({ key: Buffer.from(p256.publicKeySpki), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }));
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'msg.bin')], { encoding: 'utf8' });
    assert.match(out, /Verified OK/);
    // and openssl rejects it for a different message
    writeFileSync(join(dir, 'msg2.bin'), Buffer.concat([msg, Buffer.from('x')]));
    assert.throws(() => execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'msg2.bin')], { stdio: 'pipe' }));
  });

  test('cli: fmsc pubkey + fmsc sign --kms pkcs11:… then fms-run verify accepts; without the pin the key is refused', async () => {
    const dir = tempDir();
    const local = ed25519Key(dir, 'l');
    const packFile = join(dir, 'p.fmspack');
    writeFileSync(packFile, await makePack(local, { expiresAt: new Date(Date.now() + 86400_000), createdAt: new Date(Date.now() - 60_000) }));
    const pub = await runCli('fmsc', ['pubkey', '--kms', hsm.uri('p256'), '--format', 'json'], hsm.env);
    assert.is(pub.code, 0, pub.stderr);
    const entry = JSON.parse(pub.stdout) as { key_id: string; trust_entry: Record<string, unknown> };
    assert.is(entry.key_id, p256.keyId);
    for (const obj of ['ed', 'p256']) {
      const r = await runCli('fmsc', ['sign', '--kms', hsm.uri(obj), packFile], hsm.env);
      assert.is(r.code, 0, r.stderr);
      assert.match(r.stderr, /added signature by sha256:/);
      assert.not.match(r.stderr, new RegExp(hsm.pin));
    }
    const trust = join(dir, 'trust.json');
    writeFileSync(trust, JSON.stringify(trustJson([ed, p256], [{ prefix: 'acme/payments', threshold: 2 }])));
    const ok = await runCli('fms-run', ['verify', packFile, '--trust', trust, '--state-dir', join(dir, 'state'), '--format', 'json']);
    assert.is(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { signers: string[] }).signers, [ed.keyId, p256.keyId].sort());
    // the local key alone is not pinned
    writeFileSync(join(dir, 'only-local.json'), JSON.stringify(trustJson([local])));
    const local1 = await runCli('fms-run', ['verify', packFile, '--trust', join(dir, 'only-local.json'), '--no-state']);
    assert.is(local1.code, 0, local1.stderr);
    // signing again with the same key is refused, pack unchanged
    const before = readFileSync(packFile);
    const again = await runCli('fmsc', ['sign', '--kms', hsm.uri('ed'), packFile], hsm.env);
    assert.is(again.code, 2);
    assert.match(again.stderr, /already signed/);
    assert.equal(readFileSync(packFile), before);
    // wrong pin: a one-line error that does not echo it
    const bad = await runCli('fmsc', ['pubkey', '--kms', `pkcs11:token=${hsm.token};object=ed?module-path=${hsm.module}&pin-value=000000`], hsm.env);
    assert.is(bad.code, 2);
    assert.match(bad.stderr, /CKR_PIN_INCORRECT/);
    assert.not.match(bad.stderr, /000000/);
    assert.is(bad.stderr.trim().split('\n').length, 1);
  });

  test('a token signature presented under another pinned key id is refused', async () => {
    const dir = tempDir();
    const local = ed25519Key(dir, 'l');
    const pack = await addSignature(await makePack(local), ed);
    try {
      verifyPack(pack, { trust: trustFor([p256]), now: NOW });
      assert.unreachable();
    } catch (e) {
      assert.instance(e, PackRefusal);
      assert.is((e as PackRefusal).code, 'threshold');
    }
  });
}

test.run();
