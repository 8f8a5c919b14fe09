// Shared checks for the cloud KMS adapter tests (run against local doubles;
// no real cloud account is used anywhere in these tests).
import * as assert from 'uvu/assert';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { addSignature } from '@fms/compiler/sign';
import type { Signer } from '@fms/signers';
import { decodeContainer } from '@fms/runtime/format';
import { decodeEnvelope, MANIFEST_PAYLOAD_TYPE, pae } from '@fms/runtime/format';
import { isCanonicalLowS } from '@fms/runtime/crypto';
import { verifyPack } from '@fms/runtime';
import { ed25519Key, makePack, NOW, tempDir, trustFor } from '../runtime/trust/fixtures';

/**
 * Adds a signature by `kms` to a pack, checks the runtime accepts it with a
 * trust root pinning only that key, and that node:crypto (not the signing
 * path) verifies the stored signature and the key the double holds.
 */
export async function signAndVerify(kms: Signer, doubleSpki: Buffer): Promise<void> {
  const local = ed25519Key(tempDir(), 'local');
  const pack = await addSignature(await makePack(local), kms);
  const v = verifyPack(pack, { trust: trustFor([kms]), now: NOW });
  assert.equal(v.signers, [kms.keyId]);
  const env = decodeEnvelope(decodeContainer(pack).envelope);
  const sig = env.signatures.find((s) => s.keyid === kms.keyId)!.sig;
  const key = createPublicKey({ key: doubleSpki, format: 'der', type: 'spki' });
  const msg = pae(MANIFEST_PAYLOAD_TYPE, env.payload);
  if (kms.algorithm === 'ecdsa-p256-sha256') {
    assert.ok(isCanonicalLowS(sig));
    assert.ok(nodeVerify('sha256', msg, { key, dsaEncoding: 'ieee-p1363' }, sig));
  } else assert.ok(nodeVerify(null, msg, key, sig));
}
