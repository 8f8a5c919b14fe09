import { ecdsaDigestSigner, type Signer } from './signer';
import { oneLine, sdkMissing } from './errors';

/** Parsed `awskms://[endpoint]/<key id | alias/name | arn>` (cosign form). */
export interface AwsKmsUri {
  endpoint?: string;
  keyId: string;
  region?: string;
}

/** Parses an `awskms://` URI; the region comes from an ARN when there is one. */
export function parseAwsKmsUri(uri: string): AwsKmsUri {
  if (!uri.startsWith('awskms://')) throw new Error('not an awskms uri');
  const rest = uri.slice('awskms://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) throw new Error('awskms uri must be `awskms://[endpoint]/<key id, alias/… or arn>`');
  const endpoint = rest.slice(0, slash);
  const keyId = rest.slice(slash + 1);
  if (!keyId) throw new Error('awskms uri names no key');
  if (!/^[A-Za-z0-9:/_+=,.@-]{1,2048}$/.test(keyId)) throw new Error('awskms uri: the key id has characters a KMS key id, alias or arn cannot have');
  if (endpoint && !/^[A-Za-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-fA-F:]+\](?::\d{1,5})?$/.test(endpoint)) throw new Error('awskms uri: the endpoint must be `host[:port]`');
  const arn = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key|alias)\/.+$/.exec(keyId);
  return { keyId, ...(endpoint ? { endpoint } : {}), ...(arn ? { region: arn[1] } : {}) };
}

/** The endpoint URL for a `host[:port]` from the uri: loopback hosts speak http (local doubles, LocalStack), others https. */
function endpointUrl(hostPort: string): string {
  return (/^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(hostPort) ? 'http://' : 'https://') + hostPort;
}

/**
 * Signer for an AWS KMS asymmetric key (`ECC_NIST_P256`, `ECDSA_SHA_256`)
 * through the official SDK (`@aws-sdk/client-kms`, loaded only now):
 * `GetPublicKey`, then `Sign` with `MessageType: DIGEST`.
 *
 * Credentials and region come from the SDK's default chain, exactly as the
 * AWS CLI finds them: environment, shared config and credentials files
 * (`AWS_PROFILE`, `AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`), SSO,
 * web identity (EKS), container and instance metadata. The region of an
 * ARN wins. Endpoint: the uri's `host[:port]`, else the SDK's own
 * `AWS_ENDPOINT_URL_KMS` / `AWS_ENDPOINT_URL`, else the regional endpoint.
 */
export async function awsKmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const u = parseAwsKmsUri(uri);
  // The pinned SDK supports Node 20 (its engines say >=20); its multi-line notice that LATER
  // versions will need Node 22 would break the one-line output of every fmsc run. Set the
  // variable to `false` to see it.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let sdk: typeof import('@aws-sdk/client-kms');
  try {
    sdk = await import('@aws-sdk/client-kms');
  } catch (e) {
    throw sdkMissing('awskms', '@aws-sdk/client-kms', e);
  }
  const endpoint = u.endpoint ? endpointUrl(u.endpoint) : (env.AWS_ENDPOINT_URL_KMS ?? undefined);
  const client = new sdk.KMSClient({
    ...(u.region ? { region: u.region } : {}),
    ...(endpoint ? { endpoint } : {}),
    maxAttempts: 2,
  });
  const call = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw new Error(`awskms: ${what} \`${u.keyId}\` failed: ${oneLine(e)}`);
    }
  };
  try {
    const pub = await call('GetPublicKey', () => client.send(new sdk.GetPublicKeyCommand({ KeyId: u.keyId })));
    const spec = pub.KeySpec;
    if (spec !== 'ECC_NIST_P256') throw new Error(`awskms: key spec \`${String(spec)}\` of \`${u.keyId}\` is not supported (use ECC_NIST_P256)`);
    if (pub.KeyUsage !== 'SIGN_VERIFY') throw new Error(`awskms: key usage of \`${u.keyId}\` is \`${String(pub.KeyUsage)}\`, not SIGN_VERIFY`);
    if (pub.SigningAlgorithms && !pub.SigningAlgorithms.includes('ECDSA_SHA_256')) throw new Error(`awskms: key \`${u.keyId}\` does not allow ECDSA_SHA_256`);
    if (!(pub.PublicKey instanceof Uint8Array)) throw new Error('awskms: GetPublicKey answer has no public key');
    // Sign with the key the public key belongs to (an alias could be re-pointed in between).
    const keyArn = typeof pub.KeyId === 'string' && pub.KeyId ? pub.KeyId : u.keyId;
    return ecdsaDigestSigner(
      pub.PublicKey,
      `aws kms key \`${u.keyId}\``,
      async (digest) => {
        const r = await call('Sign', () =>
          client.send(new sdk.SignCommand({ KeyId: keyArn, Message: digest, MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })),
        );
        if (!(r.Signature instanceof Uint8Array)) throw new Error('awskms: Sign answer has no signature');
        return r.Signature;
      },
      () => client.destroy(),
      'der', // KMS Sign: a DER-encoded signature as defined by ANSI X9.62-2005
    );
  } catch (e) {
    client.destroy();
    throw e;
  }
}
