import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSignedPack, addSignature, readPackUnverified } from '../../../compiler/src/sign/create-pack';
import { decodeContainer } from '@fms/runtime/format';
import { verifyPack } from '@fms/runtime';
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

test.run();
