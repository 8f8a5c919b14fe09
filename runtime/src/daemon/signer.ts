/**
 * Checkpoint signers of the decision log. The same shape as the compiler's
 * pack signers (`compiler/src/sign/signer.ts`), defined here because the
 * runtime never imports the compiler.
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { keyIdOf, type SigAlgorithm } from '../crypto/keys';

/** Something that signs checkpoint bytes (the DSSE PAE). Private key material never appears on it. */
export interface Signer {
  /** `sha256:` + hex SHA-256 of the DER SubjectPublicKeyInfo (the id a trust file pins). */
  readonly keyId: string;
  readonly algorithm: SigAlgorithm;
  /** Signs `message`: pure Ed25519 (64 bytes). */
  sign(message: Uint8Array): Promise<Uint8Array>;
}

/** A key URI that cannot be used (a one-line reason). */
export class SignerError extends Error {}

/** Largest key file read (bytes). */
const MAX_KEY_FILE = 16 * 1024;

/** URI schemes of signers that live in the compiler today (PKCS#11, cloud KMS). */
const NOT_YET = ['pkcs11:', 'awskms:', 'gcpkms:', 'azurekms:', 'hashivault:', 'kms:'];

/**
 * A signer for `file:PATH` (a PKCS#8 PEM Ed25519 key, as `fmsc keygen`
 * writes it). Refuses a key file that group or others can read or write, a
 * non-regular file, and any key that is not Ed25519. PKCS#11 and cloud KMS
 * URIs are refused with a one-line reason: their signers live in the
 * compiler, which the runtime never imports (not available yet).
 */
export function signerFromUri(uri: string): Signer {
  const scheme = /^[a-z0-9]+:/.exec(uri)?.[0];
  if (scheme !== 'file:') {
    if (scheme && NOT_YET.includes(scheme))
      throw new SignerError(`checkpoint signing with \`${scheme}\` keys is not available in fms-run yet (those signers live in the compiler): use \`file:PATH\``);
    throw new SignerError(`unknown log key \`${uri.slice(0, 80)}\`: expected \`file:PATH\` (an Ed25519 PKCS#8 PEM key file)`);
  }
  return fileSigner(uri.slice('file:'.length));
}

/** A signer for an Ed25519 PKCS#8 PEM key file (see {@link signerFromUri}). */
export function fileSigner(path: string): Signer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new SignerError(`cannot read log key \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let key: KeyObject;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new SignerError(`log key \`${path}\` is not a regular file`);
    if (st.size > MAX_KEY_FILE) throw new SignerError(`log key \`${path}\` is larger than ${MAX_KEY_FILE} bytes`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) throw new SignerError(`log key \`${path}\` is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 it`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    try {
      key = createPrivateKey({ key: buf.subarray(0, off), format: 'pem' });
    } catch {
      throw new SignerError(`log key \`${path}\` is not a PEM private key`);
    } finally {
      buf.fill(0);
    }
  } finally {
    closeSync(fd);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new SignerError(`log key \`${path}\` is a ${key.asymmetricKeyType ?? 'unknown'} key: only Ed25519 file keys sign checkpoints`);
  const spki = new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }));
  return {
    keyId: keyIdOf(spki),
    algorithm: 'ed25519',
    async sign(message: Uint8Array): Promise<Uint8Array> {
      return new Uint8Array(nodeSign(null, message, key));
    },
  };
}
