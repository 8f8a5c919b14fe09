// Google Cloud KMS double: v1 REST `publicKey` and `asymmetricSign` with
// CRC32C fields, authenticated as google-auth-library does it: a service
// account's self-signed JWT (RS256, verified here with the account's public
// key), or an access token this double issued from its metadata-server
// endpoint (GCE/GKE/workload identity). No real Google Cloud account is used.
import { generateKeyPairSync, randomBytes, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { newP256, signDigestDer, startDouble, type DoubleKey, type RunningDouble } from './server';

export const GCP_KEY_NAME = 'projects/fms-test/locations/global/keyRings/release/cryptoKeys/packs/cryptoKeyVersions/1';
export const GCP_SA_EMAIL = 'fms-release@fms-test.iam.gserviceaccount.com';

export interface GcpDouble extends RunningDouble {
  key: DoubleKey;
  /** Corrupt the signatureCrc32c field (integrity check test). */
  badCrc: boolean;
  /** The algorithm `publicKey` reports. */
  algorithm: string;
  /** A service-account key file (JSON) whose public key the double trusts. */
  serviceAccountJson(): string;
  /** Why the last request was refused as unauthenticated (for assertions). */
  lastAuthError: string | undefined;
  /** How requests authenticated: 'jwt' or 'metadata-token'. */
  authKinds: string[];
  /** Metadata-server paths asked. */
  metadataPaths: string[];
}

function b64urlJson(part: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export async function startGcpKmsDouble(): Promise<GcpDouble> {
  const key = newP256();
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const saKeyId = randomBytes(20).toString('hex');
  const issued = new Set<string>();
  const d = { key, badCrc: false, algorithm: 'EC_SIGN_P256_SHA256', lastAuthError: undefined, authKinds: [] as string[], metadataPaths: [] as string[] } as GcpDouble;
  const err = (status: number, message: string, state = 'FAILED_PRECONDITION') => ({ status, json: { error: { code: status, message, status: state } } });
  /** Why `authorization` is not a credential this double accepts, or undefined. */
  const authError = (authorization: string | undefined): string | undefined => {
    const m = /^Bearer (\S+)$/.exec(authorization ?? '');
    if (!m) return 'no bearer token';
    const token = m[1]!;
    if (issued.has(token)) {
      d.authKinds.push('metadata-token');
      return undefined;
    }
    const parts = token.split('.');
    if (parts.length !== 3) return 'not a token this service issued, nor a jwt';
    const header = b64urlJson(parts[0]!);
    const claims = b64urlJson(parts[1]!);
    if (!header || !claims) return 'malformed jwt';
    if (header.alg !== 'RS256' || header.kid !== saKeyId) return 'jwt signed by an unknown key';
    if (!nodeVerify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`), sa.publicKey as KeyObject, Buffer.from(parts[2]!, 'base64url'))) return 'jwt signature does not verify';
    if (claims.iss !== GCP_SA_EMAIL || claims.sub !== GCP_SA_EMAIL) return 'jwt issuer is not the service account';
    const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
    if (!scopes.includes('https://www.googleapis.com/auth/cloudkms') && !scopes.includes('https://www.googleapis.com/auth/cloud-platform')) return 'jwt lacks the cloudkms scope';
    const now = Date.now() / 1000;
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp < now || claims.iat > now + 60 || claims.exp - claims.iat > 3600) return 'jwt expired or not yet valid';
    d.authKinds.push('jwt');
    return undefined;
  };
  const running = await startDouble((r) => {
    const path = decodeURIComponent(r.url.pathname);
    // The metadata server (what gcp-metadata asks on GCE/GKE/Cloud Run).
    if (path.startsWith('/computeMetadata/v1')) {
      const headers = { 'metadata-flavor': 'Google' };
      d.metadataPaths.push(path);
      if (r.headers['metadata-flavor'] !== 'Google') return { status: 403, json: { error: 'missing Metadata-Flavor' }, headers };
      if (path === '/computeMetadata/v1/instance/service-accounts/default/token') {
        const token = `ya29.fms-double-${randomBytes(12).toString('hex')}`;
        issued.add(token);
        return { status: 200, json: { access_token: token, expires_in: 3599, token_type: 'Bearer' }, headers };
      }
      if (path === '/computeMetadata/v1/instance' || path === '/computeMetadata/v1/') return { status: 200, json: {}, headers };
      return { status: 404, json: { error: `no metadata at ${path}` }, headers };
    }
    d.lastAuthError = authError(typeof r.headers.authorization === 'string' ? r.headers.authorization : undefined);
    if (d.lastAuthError) return err(401, `Request had invalid authentication credentials: ${d.lastAuthError}`, 'UNAUTHENTICATED');
    if (r.method === 'GET' && path === `/v1/${GCP_KEY_NAME}/publicKey`)
      return { status: 200, json: { pem: key.pem, algorithm: d.algorithm, pemCrc32c: String(crc32c(Buffer.from(key.pem))), name: GCP_KEY_NAME } };
    if (r.method === 'POST' && path === `/v1/${GCP_KEY_NAME}:asymmetricSign`) {
      const body = JSON.parse(r.body) as { digest?: { sha256?: string }; digestCrc32c?: string };
      const digest = Buffer.from(body.digest?.sha256 ?? '', 'base64');
      if (digest.length !== 32) return err(400, 'digest must be sha256', 'INVALID_ARGUMENT');
      const verified = body.digestCrc32c !== undefined;
      if (verified && String(crc32c(digest)) !== body.digestCrc32c) return err(400, 'digest crc32c mismatch', 'INVALID_ARGUMENT');
      const sig = signDigestDer(key, digest);
      return {
        status: 200,
        json: { signature: sig.toString('base64'), signatureCrc32c: String((crc32c(sig) ^ (d.badCrc ? 1 : 0)) >>> 0), verifiedDigestCrc32c: verified, name: GCP_KEY_NAME },
      };
    }
    return err(404, `not found: ${path}`, 'NOT_FOUND');
  });
  d.serviceAccountJson = () =>
    JSON.stringify({
      type: 'service_account',
      project_id: 'fms-test',
      private_key_id: saKeyId,
      private_key: sa.privateKey.export({ format: 'pem', type: 'pkcs8' }),
      client_email: GCP_SA_EMAIL,
      client_id: '100000000000000000001',
      auth_uri: `${running.url}/o/oauth2/auth`,
      token_uri: `${running.url}/token`,
      universe_domain: 'googleapis.com',
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
