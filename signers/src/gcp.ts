import { decodeBase64Loose, encodeBase64, parsePublicKey } from '@fms/runtime/crypto';
import { crc32c } from './crc32c';
import { oneLine, sdkMissing } from './errors';
import { ecdsaDigestSigner, type Signer } from './signer';

const NAME_RE = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+\/cryptoKeyVersions\/[^/]+$/;
const SEGMENT_RE = /^[A-Za-z0-9_.~-]{1,255}$/;

/** The OAuth scope Cloud KMS accepts. */
export const GCP_KMS_SCOPE = 'https://www.googleapis.com/auth/cloudkms';

/** Parses `gcpkms://projects/P/locations/L/keyRings/R/cryptoKeys/K/cryptoKeyVersions/V` into the resource name. */
export function parseGcpKmsUri(uri: string): string {
  if (!uri.startsWith('gcpkms://')) throw new Error('not a gcpkms uri');
  const name = uri.slice('gcpkms://'.length);
  if (!NAME_RE.test(name) || !name.split('/').every((s) => SEGMENT_RE.test(s)))
    throw new Error('gcpkms uri must be `gcpkms://projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/…`');
  return name;
}

function field(o: unknown, key: string): string {
  const v = o !== null && typeof o === 'object' && Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'string') throw new Error(`gcpkms: answer lacks \`${key}\``);
  return v;
}

/**
 * Signer for a Google Cloud KMS key version (`EC_SIGN_P256_SHA256`) through
 * the KMS REST API (`GET v1/{name}/publicKey`, `POST v1/{name}:asymmetricSign`
 * with a SHA-256 digest and CRC32C integrity checks), authenticated by
 * `google-auth-library` (loaded only now) with Application Default
 * Credentials: `GOOGLE_APPLICATION_CREDENTIALS` (a service-account or
 * external-account/workload-identity JSON), the gcloud user credentials, or
 * the metadata server on GCE/GKE/Cloud Run. A service account signs its own
 * request token (a self-signed JWT with the cloudkms scope, as the official
 * client libraries do), so no token endpoint is involved.
 *
 * Endpoint: `FMS_GCPKMS_ENDPOINT`, else `CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS`
 * (gcloud's override), else `https://cloudkms.googleapis.com`.
 */
export async function gcpKmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const name = parseGcpKmsUri(uri);
  let lib: typeof import('google-auth-library');
  try {
    lib = await import('google-auth-library');
  } catch (e) {
    throw sdkMissing('gcpkms', 'google-auth-library', e);
  }
  const base = (env.FMS_GCPKMS_ENDPOINT || env.CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDKMS || 'https://cloudkms.googleapis.com').replace(/\/v1\/?$|\/+$/g, '');
  try {
    new URL(base);
  } catch {
    throw new Error('gcpkms: the endpoint override is not a url');
  }
  const auth = new lib.GoogleAuth({
    scopes: [GCP_KMS_SCOPE],
    ...(env.GOOGLE_APPLICATION_CREDENTIALS ? { keyFilename: env.GOOGLE_APPLICATION_CREDENTIALS } : {}),
  });
  // As the official client libraries (google-gax) do: a service account signs its request token itself.
  auth.useJWTAccessWithScope = true;
  let client: Awaited<ReturnType<typeof auth.getClient>>;
  try {
    client = await auth.getClient();
  } catch (e) {
    throw new Error(`gcpkms: no usable Google credentials (Application Default Credentials): ${oneLine(e)}`);
  }
  const path = name; // every segment is [A-Za-z0-9_.~-]: nothing to escape
  const call = async (what: string, url: string, data?: unknown): Promise<unknown> => {
    try {
      const r = await client.request({ url, method: data === undefined ? 'GET' : 'POST', ...(data !== undefined ? { data } : {}), responseType: 'json', retry: false, timeout: 30_000 });
      return r.data;
    } catch (e) {
      const status = (e as { status?: unknown; response?: { status?: unknown; data?: unknown } }).response?.status;
      const data = (e as { response?: { data?: unknown } }).response?.data as { error?: { message?: unknown } } | undefined;
      const detail = typeof data?.error?.message === 'string' ? data.error.message.split('\n')[0]!.slice(0, 200) : oneLine(e);
      throw new Error(`gcpkms: ${what} \`${name}\` failed${typeof status === 'number' ? `: http ${status}` : ''}: ${detail}`);
    }
  };
  const pub = await call('publicKey', `${base}/v1/${path}/publicKey`);
  const alg = field(pub, 'algorithm');
  if (alg !== 'EC_SIGN_P256_SHA256') throw new Error(`gcpkms: algorithm \`${alg}\` is not supported (use EC_SIGN_P256_SHA256)`);
  const pem = field(pub, 'pem');
  const pemCrc = (pub as { pemCrc32c?: unknown }).pemCrc32c;
  if (pemCrc !== undefined && String(pemCrc) !== String(crc32c(new TextEncoder().encode(pem)))) throw new Error('gcpkms: public key failed its crc32c check');
  const spki = parsePublicKey(pem).spki;
  return ecdsaDigestSigner(spki, `gcp kms key \`${name}\``, async (digest) => {
    const r = (await call('asymmetricSign', `${base}/v1/${path}:asymmetricSign`, { digest: { sha256: encodeBase64(digest) }, digestCrc32c: String(crc32c(digest)) })) as Record<string, unknown>;
    if (r === null || typeof r !== 'object') throw new Error('gcpkms: answer is not a json object');
    if (r.verifiedDigestCrc32c !== true) throw new Error('gcpkms: the service did not confirm the digest crc32c');
    if (r.name !== undefined && r.name !== name) throw new Error('gcpkms: answer is for another key version');
    const sig = decodeBase64Loose(field(r, 'signature'));
    if (r.signatureCrc32c === undefined || String(r.signatureCrc32c) !== String(crc32c(sig))) throw new Error('gcpkms: signature failed its crc32c check');
    return sig;
  }, undefined, 'der'); // asymmetricSign: DER-encoded for EC keys
}
