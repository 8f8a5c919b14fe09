import { createPrivateKey, randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { encodeBase64 } from '@fms/runtime/crypto';
import { assertStrongEd25519Key, readEd25519KeyFile } from '@fms/runtime/crypto';
import { ed25519Spki, keyIdOf } from '@fms/runtime/crypto';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { readPassphrase } from './passphrase';
import type { Signer } from './signer';

// The sync API of @noble/ed25519 3.x needs a SHA-512 implementation.
ed.hashes.sha512 = sha512;

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A trust-root `keys[]` entry for a public key (paste into a trust file). */
export interface TrustKeyEntry {
  id: string;
  algorithm: Signer['algorithm'];
  public_key: string;
  comment?: string;
}

/** The trust-file entry that pins `signer`'s public key. */
export function trustEntryFor(signer: Pick<Signer, 'keyId' | 'algorithm' | 'publicKeySpki'>, comment?: string): TrustKeyEntry {
  return {
    id: signer.keyId,
    algorithm: signer.algorithm,
    public_key: encodeBase64(signer.publicKeySpki),
    ...(comment ? { comment } : {}),
  };
}

/**
 * The PKCS#8 PEM of an Ed25519 seed; with a passphrase, an `ENCRYPTED PRIVATE
 * KEY` (PKCS#8 PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, OpenSSL's default,
 * readable by `openssl pkey -passin`).
 */
function seedToPem(seed: Uint8Array, passphrase?: string): string {
  const der = Buffer.concat([PKCS8_ED25519_PREFIX, Buffer.from(seed)]);
  try {
    if (passphrase === undefined) return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const key = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    return key.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
  } finally {
    der.fill(0);
  }
}

/** Writes `text` to a new file with mode 0600 (refuses to follow or replace an existing file unless `force`). */
function writeSecretFile(path: string, text: string, force: boolean): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (force) {
    // Write beside it and rename over it, so the key is never in a wider-mode file.
    const tmp = join(dirname(path), `.${randomBytes(8).toString('hex')}.key.tmp`);
    writeSecretFile(tmp, text, false);
    renameSync(tmp, path);
    return;
  }
  const fd = openSync(path, 'wx', 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function signerFromSeed(seed: Uint8Array, description: string): Signer {
  const pub = ed.getPublicKey(seed);
  // A seed always gives a prime-order key; checked anyway, as everywhere a key is pinned.
  assertStrongEd25519Key(pub);
  const spki = ed25519Spki(pub);
  return {
    algorithm: 'ed25519',
    publicKeySpki: spki,
    keyId: keyIdOf(spki),
    description,
    async sign(message) {
      return ed.sign(message, seed);
    },
  };
}

/** Options of {@link localEd25519Signer}. */
export interface LocalKeyOptions {
  /** Where `FMS_KEY_PASSWORD` is looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/** A PEM key file is a few hundred bytes; anything much larger is not one (and is not read into memory). */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * Reads the 32-byte seed of a PKCS#8 Ed25519 PEM key file, refusing files
 * readable by group or others. An `ENCRYPTED PRIVATE KEY` is decrypted in
 * memory with `FMS_KEY_PASSWORD` or a no-echo terminal prompt; a wrong
 * passphrase is a one-line error that never contains it.
 */
function readSeed(keyFile: string, opts: LocalKeyOptions = {}): Uint8Array {
  const key = readEd25519KeyFile(keyFile, {
    label: 'key file',
    maxBytes: MAX_KEY_FILE_BYTES,
    passphrase: () => readPassphrase(`key file \`${keyFile}\``, opts.env ? { env: opts.env } : {}),
    passphraseHint: 'or not an encrypted pkcs#8 key',
  });
  const d = key.export({ format: 'jwk' }).d;
  if (!d) throw new Error(`key file \`${keyFile}\` is not a pkcs#8 ed25519 private key`);
  return new Uint8Array(Buffer.from(d, 'base64url'));
}

/** Result of {@link generateKeyFile}: public data only. */
export interface GeneratedKey {
  keyFile: string;
  keyId: string;
  publicKeySpki: Uint8Array;
  trustEntry: TrustKeyEntry;
}

/**
 * Creates a new Ed25519 key as a PKCS#8 PEM file with mode 0600 (refuses to
 * overwrite unless `force`). With `passphrase`, the file is an encrypted
 * PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`). Returns only public data.
 */
export function generateKeyFile(keyFile: string, opts: { force?: boolean; comment?: string; passphrase?: string } = {}): GeneratedKey {
  if (opts.passphrase !== undefined && opts.passphrase.length === 0) throw new Error('the passphrase is empty: choose one, or create the key without --passphrase');
  const seed = new Uint8Array(randomBytes(32));
  try {
    writeSecretFile(keyFile, seedToPem(seed, opts.passphrase), opts.force ?? false);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new Error(`\`${keyFile}\` already exists (use --force to replace it)`);
    throw new Error(`cannot write key file \`${keyFile}\`: ${code ?? 'error'}`);
  }
  const s = signerFromSeed(seed, `key file \`${keyFile}\``);
  seed.fill(0);
  return { keyFile, keyId: s.keyId, publicKeySpki: s.publicKeySpki, trustEntry: trustEntryFor(s, opts.comment) };
}

/**
 * A signer for a local PKCS#8 Ed25519 key file (created by `fmsc keygen`),
 * plain or passphrase-encrypted (`FMS_KEY_PASSWORD`, else a prompt on a
 * terminal). The decrypted key stays in memory only.
 */
export function localEd25519Signer(keyFile: string, opts: LocalKeyOptions = {}): Signer {
  return signerFromSeed(readSeed(keyFile, opts), `key file \`${keyFile}\``);
}

/**
 * Directory for the development key and its trust file: `$FMS_HOME`, else
 * `$XDG_CONFIG_HOME/fms`, else `~/.config/fms`.
 */
export function fmsHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FMS_HOME) return env.FMS_HOME;
  if (env.XDG_CONFIG_HOME) return join(env.XDG_CONFIG_HOME, 'fms');
  return join(homedir(), '.config', 'fms');
}

/** The development-key signer plus where its files are. */
export interface DevKeySigner extends Signer {
  keyPath: string;
  /** A trust file that pins only the development key, for every pack name. */
  trustPath: string;
  /** True when this call created the key. */
  created: boolean;
  /** One line for stderr telling the user what happened and how to verify. */
  notice: string;
}

/**
 * The development key (`<fmsHome>/dev-key.pem`, mode 0600), created on first
 * use, and its trust file `<fmsHome>/dev-trust.json` (scope `*`, threshold 1),
 * rewritten when missing. For local work only; production packs are signed
 * with `--key` or `fmsc sign --kms`.
 */
export function devKeySigner(env: NodeJS.ProcessEnv = process.env): DevKeySigner {
  const home = fmsHome(env);
  const keyPath = join(home, 'dev-key.pem');
  const trustPath = join(home, 'dev-trust.json');
  let created = false;
  try {
    generateKeyFile(keyPath);
    created = true;
  } catch (e) {
    if (!/already exists/.test((e as Error).message)) throw e;
  }
  const signer = localEd25519Signer(keyPath);
  const trust = {
    version: 1,
    comment: 'development trust root written by fmsc; do not use in production',
    keys: [trustEntryFor(signer, 'fmsc development key')],
    scopes: [{ prefix: '*', keys: [signer.keyId], threshold: 1 }],
  };
  const text = JSON.stringify(trust, null, 2) + '\n';
  let current = '';
  try {
    current = readFileSync(trustPath, 'utf8');
  } catch {
    /* missing: write it */
  }
  if (current !== text) writeFileAtomic(trustPath, text, { mode: 0o644 });
  const notice = `${created ? 'created and signed with' : 'signed with'} the development key \`${keyPath}\` (not for production); verify with \`--trust ${trustPath}\``;
  return { ...signer, keyPath, trustPath, created, notice };
}
