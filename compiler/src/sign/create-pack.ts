import { createHash } from 'node:crypto';
import { parsePublicKey } from '@fms/runtime/crypto';
import { verifySignature } from '@fms/runtime/crypto';
import { decodeContainer, encodeContainer } from '@fms/runtime/format';
import { decodeEnvelope, encodeEnvelope, MANIFEST_PAYLOAD_TYPE, MAX_SIGNATURES, pae, type DsseEnvelope } from '@fms/runtime/format';
import { decodeManifest, encodeManifest, formatManifestTime, validateManifest, type ManifestImport, type PackManifest } from '@fms/runtime/format';
import type { Signer } from './signer';

/** Compiler identity written into manifests unless the caller gives one. */
export const DEFAULT_COMPILER = { name: 'fmsc', version: '0.1.0' } as const;
/** Default validity of a pack (DESIGN §5: 90 days). */
export const DEFAULT_VALIDITY_SECONDS = 90 * 24 * 3600;

/** Input of {@link createSignedPack}. */
export interface SignedPackInput {
  /** The pack body (opaque here). */
  body: Uint8Array;
  /** Pack name, `/`-separated segments (`acme/payments`). */
  name: string;
  /** Non-negative integer; must increase with every release of `name`. */
  serial: number;
  createdAt: Date;
  /** Defaults to `createdAt`. */
  notBefore?: Date;
  /** Defaults to `createdAt` + 90 days. */
  expiresAt?: Date;
  /** Hex SHA-256 of the source the body was compiled from. */
  sourceSha256: string;
  /** One signer or several (all sign the same manifest). */
  signer: Signer | Signer[];
  compiler?: { name: string; version: string };
  /** The imports the body was built from (canonical ref + package sha256); recorded sorted, duplicates merged. */
  imports?: readonly ManifestImport[];
}

/** Returns `message` signed by `signer`, after checking the signature verifies with the signer's public key. */
async function signChecked(signer: Signer, message: Uint8Array): Promise<Uint8Array> {
  const sig = await signer.sign(message);
  const pub = parsePublicKey(signer.publicKeySpki);
  if (pub.keyId !== signer.keyId || pub.algorithm !== signer.algorithm || !verifySignature(signer.algorithm, pub.keyObject, message, sig))
    throw new Error(`signature from ${signer.description} does not verify with its own public key`);
  return sig;
}

/** Input of {@link createUnsignedPack}: everything of a signed pack but the signers. */
export type UnsignedPackInput = Omit<SignedPackInput, 'signer'>;

/** The canonical manifest payload of a pack (validated). */
function manifestPayload(input: UnsignedPackInput): Uint8Array {
  const created = input.createdAt;
  const manifest: PackManifest = {
    name: input.name,
    serial: input.serial,
    created_at: formatManifestTime(created),
    not_before: formatManifestTime(input.notBefore ?? created),
    expires_at: formatManifestTime(input.expiresAt ?? new Date(created.getTime() + DEFAULT_VALIDITY_SECONDS * 1000)),
    body: { sha256: createHash('sha256').update(input.body).digest('hex'), size: input.body.length },
    compiler: { ...(input.compiler ?? DEFAULT_COMPILER) },
    source_sha256: input.sourceSha256,
    imports: recordedImports(input.imports ?? []),
  };
  validateManifest(manifest);
  return encodeManifest(manifest);
}

/**
 * Builds a signed pack: canonical manifest over the body, DSSE envelope with
 * one signature per signer, container bytes. Deterministic for Ed25519
 * signers and fixed dates (use `SOURCE_DATE_EPOCH` for `createdAt`).
 * Refuses no signer and the same key twice (one signature per key).
 */
export async function createSignedPack(input: SignedPackInput): Promise<Uint8Array> {
  const signers = Array.isArray(input.signer) ? input.signer : [input.signer];
  if (signers.length === 0) throw new Error('at least one signer is required');
  const seen = new Set<string>();
  for (const s of signers) {
    if (seen.has(s.keyId)) throw new Error(`key \`${s.keyId}\` was given twice (each key signs once)`);
    seen.add(s.keyId);
  }
  if (signers.length > MAX_SIGNATURES) throw new Error(`at most ${MAX_SIGNATURES} signatures fit in a pack, ${signers.length} keys were given`);
  const payload = manifestPayload(input);
  const message = pae(MANIFEST_PAYLOAD_TYPE, payload);
  const env: DsseEnvelope = { payloadType: MANIFEST_PAYLOAD_TYPE, payload, signatures: [] };
  for (const s of signers) env.signatures.push({ keyid: s.keyId, sig: await signChecked(s, message) });
  return encodeContainer(encodeEnvelope(env), input.body);
}

/**
 * Builds an unsigned pack (`fmsc build --unsigned`): the same manifest and
 * body as a signed one, an envelope with no signature. Every verifier refuses
 * it (`unsigned`) until {@link addSignature} (`fmsc sign`) adds one.
 */
export function createUnsignedPack(input: UnsignedPackInput): Uint8Array {
  const env: DsseEnvelope = { payloadType: MANIFEST_PAYLOAD_TYPE, payload: manifestPayload(input), signatures: [] };
  return encodeContainer(encodeEnvelope(env), input.body);
}

/** Imports as the manifest records them: sorted by ref, one entry per ref (the same ref with two digests throws). */
function recordedImports(list: readonly ManifestImport[]): ManifestImport[] {
  const byRef = new Map<string, string>();
  for (const i of list) {
    const prev = byRef.get(i.ref);
    if (prev !== undefined && prev !== i.sha256) throw new Error(`import \`${i.ref}\` was resolved to two different digests`);
    byRef.set(i.ref, i.sha256);
  }
  return [...byRef].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ref, sha256]) => ({ ref, sha256 }));
}

/**
 * Appends a signature to an existing pack without touching the manifest or
 * body. The pack must parse strictly; a key that already signed is refused.
 */
export async function addSignature(packBytes: Uint8Array, signer: Signer): Promise<Uint8Array> {
  const c = decodeContainer(packBytes);
  // An unsigned pack (`fmsc build --unsigned`) is exactly what this is for.
  const env = decodeEnvelope(c.envelope, MANIFEST_PAYLOAD_TYPE, { allowUnsigned: true });
  decodeManifest(env.payload);
  if (env.signatures.some((s) => s.keyid === signer.keyId)) throw new Error(`pack is already signed by \`${signer.keyId}\``);
  if (env.signatures.length >= MAX_SIGNATURES) throw new Error(`pack already has ${MAX_SIGNATURES} signatures`);
  const sig = await signChecked(signer, pae(env.payloadType, env.payload));
  env.signatures.push({ keyid: signer.keyId, sig });
  return encodeContainer(encodeEnvelope(env), c.body);
}

/** What {@link readPackUnverified} returns: nothing of it is verified. */
export interface UnverifiedPack {
  manifest: PackManifest;
  /** Key ids the signatures claim, in envelope order (empty for an unsigned pack). */
  keyIds: string[];
  /** The signatures as stored (claimed key id, raw bytes). */
  signatures: { keyid: string; sig: Uint8Array }[];
  /** SHA-256 (hex) of the signed manifest bytes. */
  manifestDigest: string;
  /** SHA-256 (hex) of the body. */
  bodyDigest: string;
}

/**
 * Reads the manifest and the claimed signatures of a pack without verifying
 * anything (for `inspect`); the container, envelope and manifest still parse
 * strictly. An unsigned pack reads with no signatures.
 */
export function readPackUnverified(packBytes: Uint8Array): UnverifiedPack {
  const c = decodeContainer(packBytes);
  const env = decodeEnvelope(c.envelope, MANIFEST_PAYLOAD_TYPE, { allowUnsigned: true });
  return {
    manifest: decodeManifest(env.payload),
    keyIds: env.signatures.map((s) => s.keyid),
    signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
    manifestDigest: createHash('sha256').update(env.payload).digest('hex'),
    bodyDigest: createHash('sha256').update(c.body).digest('hex'),
  };
}
