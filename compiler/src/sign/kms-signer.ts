import { localEd25519Signer } from './local-key';
import type { Signer } from './signer';

/** URI schemes `fmsc sign --kms` understands. */
export const KMS_SCHEMES = ['pkcs11:', 'awskms://', 'gcpkms://', 'azurekms://', 'hashivault://', 'file:'] as const;

/**
 * A signer for a key that stays in its store, chosen by URI scheme. Adapter
 * modules are imported lazily, so nothing of them runs (and `fms-run` never
 * contains them) unless this is called.
 *
 * - `pkcs11:token=…;object=…?module-path=…&pin-source=file:…` (RFC 7512)
 * - `awskms://[endpoint]/<key id | alias/… | arn>`
 * - `gcpkms://projects/…/locations/…/keyRings/…/cryptoKeys/…/cryptoKeyVersions/…`
 * - `azurekms://<vault>.vault.azure.net/<key>[/<version>]`
 * - `hashivault://<transit key name>`
 * - `file:<path>` (a local key file from `fmsc keygen`)
 */
export async function kmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  if (uri.startsWith('pkcs11:')) return (await import('./kms/pkcs11')).pkcs11Signer(uri, env);
  if (uri.startsWith('awskms://')) return (await import('./kms/aws')).awsKmsSigner(uri, env);
  if (uri.startsWith('gcpkms://')) return (await import('./kms/gcp')).gcpKmsSigner(uri, env);
  if (uri.startsWith('azurekms://')) return (await import('./kms/azure')).azureKmsSigner(uri, env);
  if (uri.startsWith('hashivault://')) return (await import('./kms/vault')).vaultSigner(uri, env);
  if (uri.startsWith('file:')) return localEd25519Signer(decodeURIComponent(uri.slice('file:'.length).replace(/^\/\/(?=\/)/, '')));
  const scheme = /^[a-z0-9+.-]+:/i.exec(uri)?.[0] ?? uri.slice(0, 20);
  throw new Error(`unsupported key uri scheme \`${scheme}\` (expected one of ${KMS_SCHEMES.join(' ')})`);
}
