import { createPrivateKey, type KeyObject } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** How {@link readEd25519KeyFile} names the file and where an encrypted key's passphrase comes from. */
export interface Ed25519KeyFileOptions {
  /** The noun in every refusal, e.g. `key file` or `log key`. */
  label: string;
  /** Largest file read (bytes); a bigger file is refused. */
  maxBytes: number;
  /** The passphrase of an `ENCRYPTED PRIVATE KEY`; called only for one. Throws its own one-line error when there is none. */
  passphrase: () => string;
  /** Said in parentheses after "wrong passphrase" (where the passphrase came from, or what else may be wrong). */
  passphraseHint: string;
  /** Builds each refusal (default: `Error`). */
  error?: (message: string) => Error;
}

const ENCRYPTED_PEM = '-----BEGIN ENCRYPTED PRIVATE KEY-----';

/**
 * Reads an Ed25519 PKCS#8 PEM private key file, as `fmsc keygen` writes it,
 * plain or passphrase-encrypted. Fails closed with a one-line refusal: a file
 * that cannot be opened, is not a regular file (opened non-blocking, so a
 * FIFO is refused rather than waited on), is bigger than `maxBytes`, can be
 * read or written by group or others, does not decrypt, or is not an Ed25519
 * key. The bytes read are zeroed once parsed; the passphrase is never in a
 * message.
 */
export function readEd25519KeyFile(path: string, o: Ed25519KeyFileOptions): KeyObject {
  const fail = (message: string): never => {
    throw o.error ? o.error(message) : new Error(message);
  };
  let fd = -1;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    fail(`cannot read ${o.label} \`${path}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let pem: Buffer;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) fail(`${o.label} \`${path}\` is not a regular file`);
    if (st.size > o.maxBytes) fail(`${o.label} \`${path}\` is larger than ${o.maxBytes} bytes: not a key file`);
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      fail(`${o.label} \`${path}\` is accessible by other users (mode ${(st.mode & 0o777).toString(8)}); run \`chmod 600\` on it`);
    pem = readFileSync(fd);
  } finally {
    closeSync(fd);
  }
  let key: KeyObject | undefined;
  try {
    if (pem.includes(ENCRYPTED_PEM)) {
      const passphrase = o.passphrase();
      try {
        key = createPrivateKey({ key: pem, format: 'pem', passphrase });
      } catch {
        fail(`cannot decrypt ${o.label} \`${path}\`: wrong passphrase (${o.passphraseHint})`);
      }
    } else {
      try {
        key = createPrivateKey({ key: pem, format: 'pem' });
      } catch {
        /* refused below */
      }
    }
  } finally {
    pem.fill(0);
  }
  if (key?.asymmetricKeyType !== 'ed25519') fail(`${o.label} \`${path}\` is not a pkcs#8 ed25519 private key`);
  return key!;
}
