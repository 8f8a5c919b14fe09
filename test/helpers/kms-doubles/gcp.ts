// Google Cloud KMS double: v1 REST `publicKey` and `asymmetricSign` with
// CRC32C fields. No real Google Cloud account is used.
import { newP256, signDigestDer, startDouble, type DoubleKey, type RunningDouble } from './server';

export const GCP_TEST_TOKEN = 'ya29.fms-test-token-not-real';
export const GCP_KEY_NAME = 'projects/fms-test/locations/global/keyRings/release/cryptoKeys/packs/cryptoKeyVersions/1';

export interface GcpDouble extends RunningDouble {
  key: DoubleKey;
  /** Corrupt the signatureCrc32c field (integrity check test). */
  badCrc: boolean;
}

export async function startGcpKmsDouble(): Promise<GcpDouble> {
  const key = newP256();
  const d = { key, badCrc: false } as GcpDouble;
  const err = (status: number, message: string) => ({ status, json: { error: { code: status, message, status: 'FAILED_PRECONDITION' } } });
  const running = await startDouble((r) => {
    if (r.headers.authorization !== `Bearer ${GCP_TEST_TOKEN}`) return err(401, 'request had invalid authentication credentials');
    const path = decodeURIComponent(r.url.pathname);
    if (r.method === 'GET' && path === `/v1/${GCP_KEY_NAME}/publicKey`)
      return { status: 200, json: { pem: key.pem, algorithm: 'EC_SIGN_P256_SHA256', pemCrc32c: String(crc32c(Buffer.from(key.pem))), name: GCP_KEY_NAME } };
    if (r.method === 'POST' && path === `/v1/${GCP_KEY_NAME}:asymmetricSign`) {
      const body = JSON.parse(r.body) as { digest?: { sha256?: string }; digestCrc32c?: string };
      const digest = Buffer.from(body.digest?.sha256 ?? '', 'base64');
      if (digest.length !== 32) return err(400, 'digest must be sha256');
      const verified = body.digestCrc32c !== undefined;
      if (verified && String(crc32c(digest)) !== body.digestCrc32c) return err(400, 'digest crc32c mismatch');
      const sig = signDigestDer(key, digest);
      return {
        status: 200,
        json: { signature: sig.toString('base64'), signatureCrc32c: String((crc32c(sig) ^ (d.badCrc ? 1 : 0)) >>> 0), verifiedDigestCrc32c: verified, name: GCP_KEY_NAME },
      };
    }
    return err(404, `not found: ${path}`);
  });
  return Object.assign(d, running);
}

/**
 * CRC32C (Castagnoli) written again, bit by bit, as the server side of the
 * protocol: the double shares no code with the adapter it checks (STYLE habit 12).
 */
function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0x82f63b78 & -(c & 1));
  }
  return (c ^ 0xffffffff) >>> 0;
}
