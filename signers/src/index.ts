/**
 * `@fms/signers`: keys that stay in their store, behind one {@link Signer}
 * interface: PKCS#11 tokens (RFC 7512 `pkcs11:` URIs) and the cloud KMS
 * services through their official SDKs (AWS KMS, Google Cloud KMS, Azure
 * Key Vault) or documented HTTP API (HashiCorp Vault transit).
 *
 * Each adapter, and the SDK or native add-on it needs, is imported only when
 * its scheme is used, so loading this package costs nothing more. Local key
 * files (`file:`) are not handled here: the compiler signs with them
 * (`@fms/compiler/sign`), the runtime's log checkpoints read them itself.
 */
import type { Signer } from './signer';

export { ecdsaDigestSigner, ed25519Signer, type Signer } from './signer';
export { parsePkcs11Uri, resolvePin, type Pkcs11Uri } from './pkcs11-uri';
export { parseAwsKmsUri, type AwsKmsUri } from './aws';
export { parseAzureKmsUri, type AzureKmsUri } from './azure';
export { parseGcpKmsUri } from './gcp';

/** URI schemes {@link openSigner} understands (every key store but local files). */
export const SIGNER_SCHEMES = ['pkcs11:', 'awskms://', 'gcpkms://', 'azurekms://', 'hashivault://'] as const;

/** Whether `uri` names a key this package opens (one of {@link SIGNER_SCHEMES}). */
export function isSignerUri(uri: string): boolean {
  return SIGNER_SCHEMES.some((s) => uri.startsWith(s));
}

/**
 * Opens a signer for a key that stays in its store, chosen by URI scheme:
 *
 * - `pkcs11:token=…;object=…?module-path=…&pin-source=file:…` (RFC 7512)
 * - `awskms://[endpoint]/<key id | alias/… | arn>`
 * - `gcpkms://projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/…`
 * - `azurekms://<vault>.vault.azure.net/<key>[/<version>]`
 * - `hashivault://<transit key name>`
 *
 * `env` supplies fms's own variables (`FMS_PKCS11_*`, the endpoint
 * overrides, `VAULT_*`); the cloud SDKs' credential chains read the process
 * environment and files as the vendors' CLIs do. Every failure is an Error
 * with a one-line message that names no secret. Call `close()` when done.
 */
export async function openSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  if (uri.startsWith('pkcs11:')) return (await import('./pkcs11')).pkcs11Signer(uri, env);
  if (uri.startsWith('awskms://')) return (await import('./aws')).awsKmsSigner(uri, env);
  if (uri.startsWith('gcpkms://')) return (await import('./gcp')).gcpKmsSigner(uri, env);
  if (uri.startsWith('azurekms://')) return (await import('./azure')).azureKmsSigner(uri, env);
  if (uri.startsWith('hashivault://')) return (await import('./vault')).vaultSigner(uri, env);
  const scheme = /^[a-z0-9+.-]{1,32}:/i.exec(uri)?.[0] ?? uri.slice(0, 20);
  throw new Error(`unsupported key uri scheme \`${scheme}\` (expected one of ${SIGNER_SCHEMES.join(' ')})`);
}
