import { p256Spki } from '@fms/runtime/crypto';
import { oneLine, sdkMissing } from './errors';
import { ecdsaDigestSigner, type Signer } from './signer';

/** Parsed `azurekms://<vault>.vault.azure.net/<key>[/<version>]`. */
export interface AzureKmsUri {
  /** `host[:port]` of the vault (or Managed HSM). */
  host: string;
  keyName: string;
  version?: string;
}

/** Parses an `azurekms://` URI. */
export function parseAzureKmsUri(uri: string): AzureKmsUri {
  const m = /^azurekms:\/\/([A-Za-z0-9.-]+(?::\d{1,5})?)\/([A-Za-z0-9-]{1,127})(?:\/([A-Za-z0-9]{1,64}))?$/.exec(uri);
  if (!m) throw new Error('azurekms uri must be `azurekms://<vault>.vault.azure.net/<key>[/<version>]`');
  return { host: m[1]!, keyName: m[2]!, ...(m[3] ? { version: m[3] } : {}) };
}

/** Authority hosts of the public and national clouds, where MSAL's instance discovery applies. */
const CLOUD_AUTHORITIES = new Set(['login.microsoftonline.com', 'login.microsoftonline.us', 'login.chinacloudapi.cn', 'login.partner.microsoftonline.cn']);

/**
 * Signer for an Azure Key Vault (or Managed HSM) P-256 key through the
 * official SDK (`@azure/keyvault-keys` `KeyClient` + `CryptographyClient`,
 * loaded only now), signing a SHA-256 digest with `ES256`.
 *
 * Credentials: `DefaultAzureCredential` from `@azure/identity`, as the
 * Azure CLI and SDKs find them: environment (`AZURE_TENANT_ID`,
 * `AZURE_CLIENT_ID` with `AZURE_CLIENT_SECRET` or
 * `AZURE_CLIENT_CERTIFICATE_PATH`), workload identity (AKS), managed
 * identity, the Azure CLI / PowerShell / azd login. `AZURE_AUTHORITY_HOST`
 * selects another cloud (or a private authority: then MSAL's instance
 * discovery against login.microsoftonline.com is switched off).
 *
 * Endpoint override: `FMS_AZUREKMS_ENDPOINT` (an https URL that replaces
 * `https://<vault host>`, e.g. a private endpoint or a test double; the
 * challenge's resource is then not required to match the vault's domain).
 */
export async function azureKmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  const u = parseAzureKmsUri(uri);
  let keys: typeof import('@azure/keyvault-keys');
  let identity: typeof import('@azure/identity');
  try {
    keys = await import('@azure/keyvault-keys');
  } catch (e) {
    throw sdkMissing('azurekms', '@azure/keyvault-keys', e);
  }
  try {
    identity = await import('@azure/identity');
  } catch (e) {
    throw sdkMissing('azurekms', '@azure/identity', e);
  }
  const override = env.FMS_AZUREKMS_ENDPOINT?.replace(/\/+$/, '');
  if (override !== undefined && !/^https:\/\/[^/?#]+$/.test(override)) throw new Error('azurekms: `FMS_AZUREKMS_ENDPOINT` must be `https://host[:port]`');
  const vaultUrl = override ?? `https://${u.host}`;
  let authority: string | undefined;
  try {
    authority = env.AZURE_AUTHORITY_HOST ? new URL(env.AZURE_AUTHORITY_HOST).hostname : undefined;
  } catch {
    throw new Error('azurekms: `AZURE_AUTHORITY_HOST` is not a url');
  }
  const credential = new identity.DefaultAzureCredential({
    ...(authority !== undefined && !CLOUD_AUTHORITIES.has(authority) ? { disableInstanceDiscovery: true } : {}),
  });
  const options = { retryOptions: { maxRetries: 1 }, ...(override !== undefined ? { disableChallengeResourceVerification: true } : {}) };
  const what = `\`${u.keyName}${u.version ? '/' + u.version : ''}\``;
  let key: Awaited<ReturnType<InstanceType<typeof keys.KeyClient>['getKey']>>;
  try {
    key = await new keys.KeyClient(vaultUrl, credential, options).getKey(u.keyName, u.version ? { version: u.version } : {});
  } catch (e) {
    throw new Error(`azurekms: get key ${what} failed: ${oneLine(e)}`);
  }
  const jwk = key.key;
  if (!jwk || (jwk.kty !== 'EC' && jwk.kty !== 'EC-HSM') || jwk.crv !== 'P-256') throw new Error(`azurekms: key ${what} is \`${String(jwk?.kty)}\` \`${String(jwk?.crv)}\`, p-256 expected`);
  if (key.properties.enabled === false) throw new Error(`azurekms: key ${what} is disabled`);
  if (jwk.keyOps && !jwk.keyOps.includes('sign')) throw new Error(`azurekms: key ${what} does not allow \`sign\``);
  const x = jwk.x;
  const y = jwk.y;
  if (!(x instanceof Uint8Array) || !(y instanceof Uint8Array) || x.length !== 32 || y.length !== 32) throw new Error('azurekms: malformed p-256 key');
  // Sign with exactly the version whose public key was read.
  const kid = key.id;
  if (typeof kid !== 'string' || !/\/keys\/[^/]+\/[^/?]+$/.test(kid)) throw new Error('azurekms: cannot tell the key version');
  const point = new Uint8Array(65);
  point[0] = 4;
  point.set(x, 1);
  point.set(y, 33);
  const versioned = override !== undefined ? `${vaultUrl}${new URL(kid).pathname}` : kid;
  const crypto = new keys.CryptographyClient(versioned, credential, options);
  return ecdsaDigestSigner(p256Spki(point), `azure key vault key \`${u.keyName}/${kid.slice(kid.lastIndexOf('/') + 1)}\``, async (digest) => {
    let r: Awaited<ReturnType<typeof crypto.sign>>;
    try {
      r = await crypto.sign('ES256', digest);
    } catch (e) {
      throw new Error(`azurekms: sign with ${what} failed: ${oneLine(e)}`);
    }
    if (!(r.result instanceof Uint8Array) || r.result.length !== 64) throw new Error('azurekms: sign answer is not a 64-byte ES256 signature');
    return r.result;
  }, undefined, 'raw'); // ES256 (JWA): r||s
}
