import { decodeBase64Loose, encodeBase64 } from '@fms/runtime/crypto';
import { parsePublicKey } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, type Signer } from '../signer';
import { crc32c } from './crc32c';
import { requestJson, str } from './http';

const NAME_RE = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[^/]+$/;

/**
 * Signer for a Google Cloud KMS key version (`EC_SIGN_P256_SHA256`) through
 * the documented REST API: `GET v1/{name}/publicKey` and
 * `POST v1/{name}:asymmetricSign` with a SHA-256 digest and CRC32C checks.
 *
 * URI: `gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V`.
 * Endpoint: `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS`, else
 * `https://cloudkms.googleapis.com`. Token: `GOOGLE_OAUTH_ACCESS_TOKEN` or
 * `CLOUDSDK_AUTH_ACCESS_TOKEN` (e.g. from `gcloud auth print-access-token`).
 */
export async function gcpKmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const name = uri.slice('gcpkms://'.length);
  if (!NAME_RE.test(name)) throw new Error('gcpkms uri must be `gcpkms://projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/…`');
  const token = env.GOOGLE_OAUTH_ACCESS_TOKEN ?? env.CLOUDSDK_AUTH_ACCESS_TOKEN;
  if (!token) throw new Error('gcpkms: set `GOOGLE_OAUTH_ACCESS_TOKEN` (e.g. from `gcloud auth print-access-token`)');
  const base = (env.CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS ?? 'https://cloudkms.googleapis.com').replace(/\/+$/, '');
  const path = name.split('/').map(encodeURIComponent).join('/');
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const pub = await requestJson('gcpkms publicKey', `${base}/v1/${path}/publicKey`, { method: 'GET', headers });
  const alg = str('gcpkms', pub, 'algorithm');
  if (alg !== 'EC_SIGN_P256_SHA256') throw new Error(`gcpkms: algorithm \`${alg}\` is not supported (use EC_SIGN_P256_SHA256)`);
  const pem = str('gcpkms', pub, 'pem');
  if (pub.pemCrc32c !== undefined && String(pub.pemCrc32c) !== String(crc32c(new TextEncoder().encode(pem))))
    throw new Error('gcpkms: public key failed its crc32c check');
  const spki = parsePublicKey(pem).spki;
  return ecdsaDigestSigner(spki, `gcp kms key \`${name}\``, async (digest) => {
    const r = await requestJson('gcpkms asymmetricSign', `${base}/v1/${path}:asymmetricSign`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ digest: { sha256: encodeBase64(digest) }, digestCrc32c: String(crc32c(digest)) }),
    });
    if (r.verifiedDigestCrc32c !== true) throw new Error('gcpkms: the service did not confirm the digest crc32c');
    if (typeof r.name === 'string' && r.name !== name) throw new Error('gcpkms: answer is for another key version');
    const sig = decodeBase64Loose(str('gcpkms', r, 'signature'));
    if (r.signatureCrc32c !== undefined && String(r.signatureCrc32c) !== String(crc32c(sig))) throw new Error('gcpkms: signature failed its crc32c check');
    return sig;
  });
}
