import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { decodeBase64Strict, encodeBase64 } from '@fms/runtime/crypto';
import { ed25519KeyWeakness } from '@fms/runtime/crypto';
import { ed25519Spki, keyIdOf } from '@fms/runtime/crypto';
import { canonicalJsonBytes, hasExactKeys } from '@fms/runtime/format';
import { decodeEnvelope, encodeEnvelope, pae, type DsseEnvelope } from '@fms/runtime/format';
import type { Signer } from './signer';

ed.hashes.sha512 = sha512;

/** The DSSE payload type of a registry package signature (never the pack manifest's). */
export const PACKAGE_PAYLOAD_TYPE = 'application/vnd.fms.package.v1+json';

/** Largest package source `fmsc sign-package` signs. */
export const MAX_PACKAGE_FILE_BYTES = 16 * 1024 * 1024;

/** Largest package signature file read (bytes of the decoded envelope). */
export const MAX_PACKAGE_ENVELOPE_BYTES = 64 * 1024;

/**
 * What a package signature says: this content (`sha256` of the file's bytes)
 * is `ref` (canonical `host/path`, no version) at `version`. Signed as
 * canonical JSON inside a DSSE envelope, so a signature can be moved neither
 * to another version (rollback) nor to another package of the same publisher.
 */
export interface PackageStatement {
  ref: string;
  version: string;
  sha256: string;
}

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const SEGMENT = '(?!\\.{1,2}(?:/|$))[a-z0-9._-]{1,100}';
/** Canonical `host/path` (lower-case ASCII host or punycode, segments of `[a-z0-9._-]`, no `.`/`..`/empty segment). */
export const PACKAGE_REF_RE = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?:/${SEGMENT})+$`);
/** Exact semantic version (the form `import` lines accept). */
export const PACKAGE_VERSION_RE = /^[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** Why a statement is malformed, or undefined. */
function statementProblem(s: PackageStatement): string | undefined {
  if (typeof s.ref !== 'string' || s.ref.length > 255 || !PACKAGE_REF_RE.test(s.ref)) return 'ref must be a canonical `host/path` (no version)';
  if (typeof s.version !== 'string' || s.version.length > 64 || !PACKAGE_VERSION_RE.test(s.version)) return 'version must be an exact semantic version';
  if (typeof s.sha256 !== 'string' || !HEX64.test(s.sha256)) return 'sha256 must be 64 lower-case hex digits';
  return undefined;
}

/** Canonical JSON bytes of a statement (the DSSE payload). Throws on a malformed statement. */
export function encodePackageStatement(s: PackageStatement): Uint8Array {
  const why = statementProblem(s);
  if (why) throw new Error(`package statement: ${why}`);
  return canonicalJsonBytes({ ref: s.ref, version: s.version, sha256: s.sha256 });
}

/** Strictly decodes a statement payload: exact fields, formats, canonical bytes. Throws a one-line Error. */
export function decodePackageStatement(payload: Uint8Array): PackageStatement {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw new Error('the signed statement is not utf-8 json');
  }
  if (!hasExactKeys(v, ['ref', 'version', 'sha256'])) throw new Error('the signed statement must have exactly `ref`, `version` and `sha256`');
  const s = { ref: v.ref, version: v.version, sha256: v.sha256 } as PackageStatement;
  const why = statementProblem(s);
  if (why) throw new Error(`the signed statement is malformed: ${why}`);
  const again = encodePackageStatement(s);
  if (again.length !== payload.length || !again.every((b, i) => b === payload[i])) throw new Error('the signed statement is not canonical json');
  return s;
}

/** Splits `host/path@1.2.3` into a statement's ref and version; throws a one-line Error when not canonical. */
export function splitPackageRef(full: string): { ref: string; version: string } {
  const at = full.lastIndexOf('@');
  const ref = at > 0 ? full.slice(0, at) : full;
  const version = at > 0 ? full.slice(at + 1) : '';
  if (!PACKAGE_REF_RE.test(ref) || ref.length > 255) throw new Error(`\`${full.slice(0, 300)}\` is not a canonical package ref: write \`host/path@1.2.3\` in lower case`);
  if (!PACKAGE_VERSION_RE.test(version) || version.length > 64) throw new Error(`\`${full.slice(0, 300)}\` does not pin an exact version such as \`@1.2.3\``);
  return { ref, version };
}

/**
 * Signs a package: a DSSE envelope over the statement `{ref, version, sha256}`.
 * Only Ed25519 signers (`trust {}` pins Ed25519 keys); the signature is checked
 * against the signer's own public key before it is returned.
 */
export async function signPackageStatement(statement: PackageStatement, signer: Signer): Promise<Uint8Array> {
  if (signer.algorithm !== 'ed25519') throw new Error(`${signer.description} is a ${signer.algorithm} key; \`trust {}\` pins ed25519 keys only`);
  const payload = encodePackageStatement(statement);
  const message = pae(PACKAGE_PAYLOAD_TYPE, payload);
  const sig = await signer.sign(message);
  const raw = signer.publicKeySpki.subarray(12);
  if (keyIdOf(ed25519Spki(raw)) !== signer.keyId || !strictVerify(sig, message, raw))
    throw new Error(`signature from ${signer.description} does not verify with its own public key`);
  const env: DsseEnvelope = { payloadType: PACKAGE_PAYLOAD_TYPE, payload, signatures: [{ keyid: signer.keyId, sig }] };
  return encodeEnvelope(env);
}

/** The registry `.sig` file for an envelope: its base64, one line. */
export function packageSignatureFileText(envelope: Uint8Array): string {
  return encodeBase64(envelope) + '\n';
}

/** RFC 8032 verification (not ZIP-215), only with a strong key; never throws. */
function strictVerify(sig: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (sig.length !== 64 || ed25519KeyWeakness(publicKey)) return false;
  try {
    return ed.verify(sig, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** Outcome of {@link verifyPackageSignature}. */
export type PackageSignatureCheck =
  | { ok: true; keyId: string }
  /** `unverified`: no pinned key signed it. `mismatch`: a pinned key signed a statement about other content, ref or version. `malformed`: not an envelope of the package type. */
  | { ok: false; kind: 'unverified' | 'mismatch' | 'malformed'; reason: string };

/**
 * Checks a package signature (the decoded bytes of the registry's `.sig`
 * file) for the content being imported: a DSSE envelope of type
 * {@link PACKAGE_PAYLOAD_TYPE}, at least one signature by a pinned key that
 * verifies strictly (RFC 8032; weak keys never verify), and a statement whose
 * ref, version and sha256 are exactly the import's. Extra signatures by other
 * keys are ignored; a signature listed under a pinned key id that does not
 * verify is not.
 */
export function verifyPackageSignature(
  signature: Uint8Array,
  expected: PackageStatement,
  pinned: readonly { raw: Uint8Array }[],
): PackageSignatureCheck {
  if (signature.length === 64) return { ok: false, kind: 'malformed', reason: 'it carries an old-style signature over the file bytes only; the publisher must sign it again with `fmsc sign-package`' };
  if (signature.length > MAX_PACKAGE_ENVELOPE_BYTES) return { ok: false, kind: 'malformed', reason: `its signature file is larger than ${MAX_PACKAGE_ENVELOPE_BYTES} bytes` };
  let env: DsseEnvelope;
  try {
    env = decodeEnvelope(signature, PACKAGE_PAYLOAD_TYPE);
  } catch (e) {
    return { ok: false, kind: 'malformed', reason: `its signature is not a package signature envelope (${(e as Error).message})` };
  }
  const message = pae(PACKAGE_PAYLOAD_TYPE, env.payload);
  const byId = new Map<string, Uint8Array>();
  for (const k of pinned) if (k.raw.length === 32) byId.set(keyIdOf(ed25519Spki(k.raw)), k.raw);
  let signer: string | undefined;
  for (const s of env.signatures) {
    const raw = byId.get(s.keyid);
    if (!raw) continue;
    if (!strictVerify(s.sig, message, raw)) return { ok: false, kind: 'unverified', reason: `the signature by pinned key \`${s.keyid.slice(0, 23)}…\` does not verify` };
    signer ??= s.keyid;
  }
  if (!signer) return { ok: false, kind: 'unverified', reason: 'no pinned key signed it' };
  let st: PackageStatement;
  try {
    st = decodePackageStatement(env.payload);
  } catch (e) {
    return { ok: false, kind: 'malformed', reason: (e as Error).message };
  }
  if (st.ref !== expected.ref) return { ok: false, kind: 'mismatch', reason: `the signature is for \`${st.ref}@${st.version}\`, not \`${expected.ref}\`` };
  if (st.version !== expected.version) return { ok: false, kind: 'mismatch', reason: `the signature is for version \`${st.version}\`, not \`${expected.version}\` (a copied signature, e.g. a rollback)` };
  if (st.sha256 !== expected.sha256) return { ok: false, kind: 'mismatch', reason: `the signature is for content sha256 ${st.sha256.slice(0, 16)}…, the registry file has ${expected.sha256.slice(0, 16)}…` };
  return { ok: true, keyId: signer };
}

/** Decodes a `trust {}` key (base64 of 32 bytes) for {@link verifyPackageSignature}; undefined when not canonical base64. */
export function trustKeyBytes(b64: string): Uint8Array | undefined {
  const raw = decodeBase64Strict(b64);
  return raw && raw.length === 32 ? raw : undefined;
}
