import { isSignerUri, openSigner, SIGNER_SCHEMES } from '@fms/signers';
import { localEd25519Signer } from './local-key';
import type { Signer } from './signer';

/** URI schemes `fmsc sign --kms` understands: those of `@fms/signers`, and `file:`. */
export const KMS_SCHEMES = [...SIGNER_SCHEMES, 'file:'] as const;

/**
 * A signer for a key named by URI. `file:<path>` (a local key file from
 * `fmsc keygen`) is signed here; every other scheme (`pkcs11:`, `awskms://`,
 * `gcpkms://`, `azurekms://`, `hashivault://`) is opened by `@fms/signers`,
 * whose adapters and SDKs are imported only when their scheme is used.
 */
export async function kmsSigner(uri: string, env: NodeJS.ProcessEnv = process.env): Promise<Signer> {
  if (isSignerUri(uri)) return openSigner(uri, env);
  if (uri.startsWith('file:')) return localEd25519Signer(decodeURIComponent(uri.slice('file:'.length).replace(/^\/\/(?=\/)/, '')), { env });
  const scheme = /^[a-z0-9+.-]{1,32}:/i.exec(uri)?.[0] ?? uri.slice(0, 20);
  throw new Error(`unsupported key uri scheme \`${scheme}\` (expected one of ${KMS_SCHEMES.join(' ')})`);
}
