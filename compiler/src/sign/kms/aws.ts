import { decodeBase64Loose, encodeBase64 } from '@fms/runtime/crypto';
import { ecdsaDigestSigner, type Signer } from '../signer';
import { requestJson, str } from './http';
import { signV4, type AwsCredentials } from './sigv4';

/** Parsed `awskms://[endpoint]/<key id | alias/name | arn>` (sigstore form). */
export interface AwsKmsUri {
  endpoint?: string;
  keyId: string;
  region?: string;
}

/** Parses an `awskms://` URI; the region comes from an ARN when there is one. */
export function parseAwsKmsUri(uri: string): AwsKmsUri {
  const rest = uri.slice('awskms://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw new Error('awskms uri must be `awskms://[endpoint]/<key id, alias/… or arn>`');
  const endpoint = rest.slice(0, slash);
  const keyId = rest.slice(slash + 1);
  if (!keyId) throw new Error('awskms uri names no key');
  const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/.exec(keyId);
  return { keyId, ...(endpoint ? { endpoint } : {}), ...(arn ? { region: arn[1] } : {}) };
}

/**
 * Signer for an AWS KMS asymmetric key (`ECC_NIST_P256`, `ECDSA_SHA_256`),
 * through the documented JSON API (`TrentService.GetPublicKey`,
 * `TrentService.Sign` with `MessageType: DIGEST`) signed with SigV4.
 *
 * Endpoint: the URI's host, else `AWS_ENDPOINT_URL_KMS`, else
 * `AWS_ENDPOINT_URL`, else `https://kms.<region>.amazonaws.com`.
 * Region: from the ARN, else `AWS_REGION` / `AWS_DEFAULT_REGION`.
 * Credentials: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`.
 */
export async function awsKmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const u = parseAwsKmsUri(uri);
  const region = u.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('awskms: no region (use a key arn or set `AWS_REGION`)');
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('awskms: set `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`');
  const credentials: AwsCredentials = { accessKeyId, secretAccessKey, ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}) };
  let endpoint: string;
  if (u.endpoint) endpoint = (/^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(u.endpoint) ? 'http://' : 'https://') + u.endpoint;
  else endpoint = env.AWS_ENDPOINT_URL_KMS ?? env.AWS_ENDPOINT_URL ?? `https://kms.${region}.amazonaws.com`;
  endpoint = endpoint.replace(/\/+$/, '') + '/';

  const call = async (target: string, payload: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const body = JSON.stringify(payload);
    const headers = signV4({
      method: 'POST',
      url: endpoint,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` },
      body,
      region,
      service: 'kms',
      credentials,
    });
    return requestJson(`awskms ${target}`, endpoint, { method: 'POST', headers, body });
  };

  const pub = await call('GetPublicKey', { KeyId: u.keyId });
  const spec = pub.KeySpec ?? pub.CustomerMasterKeySpec;
  if (spec !== 'ECC_NIST_P256') throw new Error(`awskms: key spec \`${String(spec)}\` is not supported (use ECC_NIST_P256)`);
  if (pub.KeyUsage !== undefined && pub.KeyUsage !== 'SIGN_VERIFY') throw new Error('awskms: key usage is not SIGN_VERIFY');
  const spki = decodeBase64Loose(str('awskms', pub, 'PublicKey'));
  return ecdsaDigestSigner(spki, `aws kms key \`${u.keyId}\``, async (digest) => {
    const r = await call('Sign', { KeyId: u.keyId, Message: encodeBase64(digest), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' });
    return decodeBase64Loose(str('awskms', r, 'Signature'));
  });
}
