/**
 * Checkpoint signers of the decision log. `file:` keys are read here; every
 * other key store (PKCS#11, the cloud KMS services) is opened by the
 * optional package `@fms/signers`, loaded with a dynamic `import()` only for
 * such a URI, so the embeddable runtime carries no SDK and no static
 * dependency on it. The {@link Signer} shape is a subset of `@fms/signers`'s.
 */
import { createPublicKey, sign as nodeSign } from 'node:crypto';
import { readEd25519KeyFile } from '../crypto/key-file';
import { keyIdOf, type SigAlgorithm } from '../crypto/keys';

/** Something that signs checkpoint bytes (the DSSE PAE). Private key material never appears on it. */
export interface Signer {
  /** `sha256:` + hex SHA-256 of the DER SubjectPublicKeyInfo (the id a trust file pins). */
  readonly keyId: string;
  readonly algorithm: SigAlgorithm;
  /**
   * Signs `message`: pure Ed25519 (64 bytes), or ECDSA P-256 over
   * SHA-256(message) as 64-byte low-S `r||s` (what `verifySignature` accepts).
   */
  sign(message: Uint8Array): Promise<Uint8Array>;
  /** Releases sessions or handles (a PKCS#11 session, an SDK client), if any. */
  close?(): Promise<void> | void;
}

/** A key URI that cannot be used (a one-line reason). */
export class SignerError extends Error {}

/** Environment variable with the passphrase of an encrypted key file (the same one `fmsc` reads). */
export const KEY_PASSWORD_ENV = 'FMS_KEY_PASSWORD';

/** Largest key file read (bytes). */
const MAX_KEY_FILE = 16 * 1024;

/** URI schemes opened by `@fms/signers` (kept in step with its `SIGNER_SCHEMES`; a test checks). */
export const STORE_SCHEMES = ['pkcs11:', 'awskms://', 'gcpkms://', 'azurekms://', 'hashivault://'] as const;

const EXPECTED = `expected \`file:PATH\` (an Ed25519 PKCS#8 PEM key file) or a key store uri (${STORE_SCHEMES.join(' ')})`;

/**
 * A signer for `file:PATH` (a PKCS#8 PEM Ed25519 key, as `fmsc keygen`
 * writes it). Refuses a key file that group or others can read or write, a
 * non-regular file, and any key that is not Ed25519. Key store URIs
 * (PKCS#11, cloud KMS) open asynchronously: use {@link openSigner}.
 */
export function signerFromUri(uri: string): Signer {
  if (uri.startsWith('file:')) return fileSigner(uri.slice('file:'.length));
  if (STORE_SCHEMES.some((s) => uri.startsWith(s))) throw new SignerError(`log key \`${uri.slice(0, uri.indexOf(':') + 1)}\` is a key store uri: open it with openSigner()`);
  throw new SignerError(`unknown log key \`${uri.slice(0, 80)}\`: ${EXPECTED}`);
}

/** How the optional `@fms/signers` package is loaded (a seam for tests; the default is a dynamic import). */
export type SignersLoader = () => Promise<{ openSigner(uri: string, env?: NodeJS.ProcessEnv): Promise<Signer> }>;

const loadSigners: SignersLoader = () => import('@fms/signers');

/**
 * A checkpoint signer for any key URI `fms-run serve --log-key` accepts:
 * `file:PATH` (read here), or `pkcs11:`, `awskms://`, `gcpkms://`,
 * `azurekms://`, `hashivault://` (opened by the optional package
 * `@fms/signers`, imported only now). Fails closed with a one-line
 * {@link SignerError}: unknown scheme, the package not installed, the key
 * store refusing, or a key that is neither Ed25519 nor P-256.
 */
export async function openSigner(uri: string, env: NodeJS.ProcessEnv = process.env, load: SignersLoader = loadSigners): Promise<Signer> {
  if (uri.startsWith('file:')) return fileSigner(uri.slice('file:'.length), env);
  if (!STORE_SCHEMES.some((s) => uri.startsWith(s))) throw new SignerError(`unknown log key \`${uri.slice(0, 80)}\`: ${EXPECTED}`);
  let mod: Awaited<ReturnType<SignersLoader>>;
  try {
    mod = await load();
  } catch (e) {
    const code = (e as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
      throw new SignerError(`log key \`${uri.slice(0, uri.indexOf(':') + 1)}\` needs the optional package \`@fms/signers\`, which is not installed (install it next to @fms/runtime)`);
    throw new SignerError(`the optional package \`@fms/signers\` does not load: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  }
  let s: Signer;
  try {
    s = await mod.openSigner(uri, env);
  } catch (e) {
    throw new SignerError(`log key: ${String((e as Error)?.message ?? e).split('\n')[0]}`);
  }
  if (s.algorithm !== 'ed25519' && s.algorithm !== 'ecdsa-p256-sha256') {
    await s.close?.();
    throw new SignerError(`log key is a ${String(s.algorithm)} key: checkpoints are signed with Ed25519 or ECDSA P-256`);
  }
  return s;
}

/** A signer for an Ed25519 PKCS#8 PEM key file (see {@link signerFromUri}). */
export function fileSigner(path: string, env: NodeJS.ProcessEnv = process.env): Signer {
  const key = readEd25519KeyFile(path, {
    label: 'log key',
    maxBytes: MAX_KEY_FILE,
    // A daemon never prompts: an encrypted key (`fmsc keygen --passphrase`) takes its passphrase from the environment.
    passphrase: () => {
      const p = env[KEY_PASSWORD_ENV];
      if (!p) throw new SignerError(`log key \`${path}\` is encrypted: set ${KEY_PASSWORD_ENV} to its passphrase (fms-run serve does not prompt)`);
      return p;
    },
    passphraseHint: KEY_PASSWORD_ENV,
    error: (m) => new SignerError(m),
  });
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return {
    keyId: keyIdOf(spki),
    algorithm: 'ed25519',
    async sign(message: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(nodeSign(null, message, key));
    },
  };
}
