import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSignedPack, createUnsignedPack, addSignature, readPackUnverified } from '../../../compiler/src/sign/create-pack';
import { decodeContainer, decodeEnvelope, MANIFEST_PAYLOAD_TYPE, UNSIGNED_PACK_MESSAGE } from '@fms/runtime/format';
import { PackRefusal, verifyPack } from '@fms/runtime';
import { ed25519Key, makePack, NOW, p256Key, SOURCE_SHA, tempDir, trustFor } from '../../runtime/trust/fixtures';

const dir = tempDir();
const A = ed25519Key(dir, 'a');
const B = ed25519Key(dir, 'b');

test('manifest: canonical sorted-key json with every field; defaults 90 days and not_before = created', async () => {
  const pack = await makePack(A, { serial: 42 });
  const { manifest, keyIds } = readPackUnverified(pack);
  assert.equal(keyIds, [A.keyId]);
  assert.equal(manifest, {
    name: 'acme/payments',
    serial: 42,
    created_at: '2025-05-01T00:00:00Z',
    not_before: '2025-05-01T00:00:00Z',
    expires_at: '2025-07-30T00:00:00Z',
    body: { sha256: manifest.body.sha256, size: 7 },
    compiler: { name: 'fmsc', version: '0.1.0' },
    source_sha256: SOURCE_SHA,
    imports: [],
  });
  const envText = new TextDecoder().decode(decodeContainer(pack).envelope);
  const payload = Buffer.from((JSON.parse(envText) as { payload: string }).payload, 'base64').toString();
  assert.ok(payload.startsWith('{"body":{"sha256":'), payload);
  assert.match(envText, /^\{"payload":"[^"]+","payloadType":"application\/vnd\.fms\.policypack\.manifest\.v1\+json","signatures":\[\{"keyid":"sha256:[0-9a-f]{64}","sig":"/);
});

test('reproducible: same inputs give byte-identical packs (ed25519)', async () => {
  const a = await makePack([A, B]);
  const b = await makePack([A, B]);
  assert.ok(Buffer.from(a).equals(Buffer.from(b)));
});

test('several signers at creation and appended later verify together', async () => {
  const P = p256Key().signer;
  const pack = await addSignature(await makePack([A, B]), P);
  assert.is(readPackUnverified(pack).keyIds.length, 3);
  assert.is(verifyPack(pack, { trust: trustFor([A, B, P], [{ prefix: '*', threshold: 3 }]), now: NOW }).signers.length, 3);
});

test('invalid input is rejected before signing', async () => {
  const base = { body: new Uint8Array(1), serial: 1, createdAt: NOW, sourceSha256: SOURCE_SHA, signer: A };
  await createSignedPack({ ...base, name: 'acme//x' }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /invalid pack name/));
  await createSignedPack({ ...base, name: 'a', serial: -1 }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /serial/));
  await createSignedPack({ ...base, name: 'a', sourceSha256: 'xyz' }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /source_sha256/));
  await createSignedPack({ ...base, name: 'a', expiresAt: NOW }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /expires_at/));
  await createSignedPack({ ...base, name: 'a', signer: [A, A] }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /twice/));
});

test('a signer whose signature does not match its public key is caught at signing time', async () => {
  const liar = { ...A, sign: async (m: Uint8Array) => B.sign(m) };
  await makePack(liar).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /does not verify with its own public key/));
});

test('unsigned packs (`fmsc build --unsigned`): same manifest as a signed one, refused by verifyPack until addSignature', async () => {
  const base = { body: new Uint8Array([1, 2, 3]), name: 'acme/payments', serial: 7, createdAt: NOW, sourceSha256: SOURCE_SHA };
  const unsigned = createUnsignedPack(base);
  const signed = await createSignedPack({ ...base, signer: A });
  const u = readPackUnverified(unsigned);
  assert.equal(u.keyIds, []);
  assert.equal(u.manifest, readPackUnverified(signed).manifest);
  // Verification paths never accept zero signatures: the `unsigned` refusal, one line naming the fix.
  const trust = trustFor([A]);
  try {
    verifyPack(unsigned, { trust, now: NOW });
    assert.unreachable();
  } catch (e) {
    assert.instance(e, PackRefusal);
    assert.is((e as PackRefusal).code, 'unsigned');
    assert.is((e as PackRefusal).message, UNSIGNED_PACK_MESSAGE);
  }
  assert.throws(() => decodeEnvelope(decodeContainer(unsigned).envelope), (e: Error) => e instanceof PackRefusal && e.code === 'unsigned');
  assert.is(decodeEnvelope(decodeContainer(unsigned).envelope, MANIFEST_PAYLOAD_TYPE, { allowUnsigned: true }).signatures.length, 0);
  // Signing it later gives exactly the signed pack (Ed25519 is deterministic).
  const later = await addSignature(unsigned, A);
  assert.ok(Buffer.from(later).equals(Buffer.from(signed)));
  assert.is(verifyPack(later, { trust, now: NOW }).signers.length, 1);
  await addSignature(later, A).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /already signed/));
});

test('each key signs once: the duplicate error names the key; more than 16 signers is refused before signing', async () => {
  const base = { body: new Uint8Array(1), name: 'a', serial: 1, createdAt: NOW, sourceSha256: SOURCE_SHA };
  await createSignedPack({ ...base, signer: [A, B, A] }).then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, `key \`${A.keyId}\` was given twice (each key signs once)`),
  );
  const many = Array.from({ length: 17 }, (_, i) => ({ ...A, keyId: `sha256:${i.toString(16).padStart(64, '0')}` }));
  await createSignedPack({ ...base, signer: many }).then(() => assert.unreachable(), (e: Error) => assert.match(e.message, /at most 16 signatures/));
});

test.run();
