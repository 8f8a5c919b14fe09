import { hash } from 'node:crypto';
import { verifySignature } from '../crypto/verify-signature';
import { decodeContainer } from '../pack/container';
import { decodeEnvelope, MANIFEST_PAYLOAD_TYPE, pae } from './dsse';
import { decodeManifest, isValidPackName, parseManifestTime, type PackManifest } from './manifest';
import { PackRefusal } from './refusal';
import type { RollbackStore } from './rollback-store';
import { scopeFor, type TrustRoots } from './trust-roots';

export { PackRefusal } from './refusal';
export type { RefusalCode } from './refusal';
export { loadTrustRoots, parseTrustRoots, scopeFor } from './trust-roots';
export type { TrustRoots, TrustScope, TrustedKey } from './trust-roots';
export { FileRollbackStore, MemoryRollbackStore, defaultStateDir } from './rollback-store';
export type { RollbackStore, HighWaterMark } from './rollback-store';
export type { PackManifest } from './manifest';

/** Default allowance for clock skew on `not_before` / `expires_at` (seconds). */
export const DEFAULT_CLOCK_SKEW_SECONDS = 300;

/** A pack that passed every check of DESIGN §5. */
export interface VerifiedPack {
  manifest: PackManifest;
  /** The opaque body (a view into the input bytes). */
  body: Uint8Array;
  /** SHA-256 (hex) of the body. */
  digest: string;
  /** SHA-256 (hex) of the signed manifest bytes. */
  manifestDigest: string;
  /** Distinct pinned key ids whose signatures verified, sorted. */
  signers: string[];
}

/** Options of {@link verifyPack}. */
export interface VerifyOptions {
  trust: TrustRoots;
  /** Rollback protection; without it only `min_serial` guards against old packs. */
  state?: RollbackStore;
  now?: Date;
  clockSkewSeconds?: number;
  /**
   * The pack name this host expects (`--name` / `FMS_PACK_NAME`). A pack of
   * another name is refused (`expected-name`) even when a pinned key signed it.
   */
  expectedName?: string;
  /** A deployment of the trust file's `deployments` map; its `expected_name` must match too. */
  deployment?: string;
}

/**
 * Every pack name the configuration expects, from the caller and the trust
 * file; the pack must equal each. Refuses when the configuration is invalid,
 * or when none is configured and the trust file requires one.
 */
export function expectedNames(trust: TrustRoots, expectedName: string | undefined, deployment: string | undefined): string[] {
  const names: string[] = [];
  if (expectedName !== undefined) {
    if (!isValidPackName(expectedName)) throw new PackRefusal('expected-name', `expected pack name \`${expectedName.slice(0, 80)}\` is not a valid pack name`);
    names.push(expectedName);
  }
  if (trust.expectedName) names.push(trust.expectedName);
  if (deployment !== undefined) {
    const d = trust.deployments?.get(deployment);
    if (d === undefined) throw new PackRefusal('deployment', `deployment \`${deployment.slice(0, 80)}\` is not in the trust file's \`deployments\``);
    names.push(d);
  }
  if (names.length === 0 && trust.requireExpectedName)
    throw new PackRefusal('no-expected-name', 'the trust file requires an expected pack name: pass `--name NAME` (or `FMS_PACK_NAME`) or `--deployment ID`');
  return names;
}

function short(id: string): string {
  return id.slice(0, 19);
}

/**
 * Verifies pack bytes against pinned trust roots and returns the body.
 *
 * Checks, in order: strict container; strict DSSE envelope; strict manifest;
 * the pack name equals every expected name (`expectedName`, the trust file's
 * `expected_name` and the chosen deployment's); a scope covers the pack name; every signature by a key pinned for that
 * scope verifies (algorithm from the trust file) and at least `threshold`
 * distinct non-revoked pinned keys signed; body size and SHA-256 match;
 * `not_before`/`expires_at` hold within the clock skew; serial ≥ `min_serial`;
 * the rollback store's high-water mark is not lowered or contradicted.
 * Signatures from keys not pinned for the scope are ignored.
 *
 * @throws PackRefusal with a one-line reason
 */
export function verifyPack(bytes: Uint8Array, opts: VerifyOptions): VerifiedPack {
  const { trust } = opts;
  const container = decodeContainer(bytes);
  const env = decodeEnvelope(container.envelope);
  const manifest = decodeManifest(env.payload);
  const name = manifest.name;
  for (const want of expectedNames(trust, opts.expectedName, opts.deployment)) {
    if (name !== want) throw new PackRefusal('expected-name', `pack is named \`${name}\`, this host expects \`${want}\``);
  }
  const scope = scopeFor(trust, name);
  if (!scope) throw new PackRefusal('no-scope', `no trust scope covers pack \`${name}\``);

  const message = pae(MANIFEST_PAYLOAD_TYPE, env.payload);
  const valid = new Set<string>();
  let revokedSeen = 0;
  let otherScope = 0;
  for (const s of env.signatures) {
    if (!scope.keys.includes(s.keyid)) {
      if (trust.keys.has(s.keyid)) otherScope++;
      continue;
    }
    if (trust.revoked.has(s.keyid)) {
      revokedSeen++;
      continue;
    }
    const key = trust.keys.get(s.keyid);
    // INVARIANT: parseTrustRoots refuses scopes naming keys not in `keys`.
    if (!key || !verifySignature(key.algorithm, key.keyObject, message, s.sig))
      throw new PackRefusal('bad-signature', `signature by pinned key \`${short(s.keyid)}…\` does not verify (${key?.algorithm ?? 'unknown'})`);
    valid.add(s.keyid);
  }
  if (valid.size < scope.threshold) {
    const notes: string[] = [];
    if (revokedSeen) notes.push(`${revokedSeen} by revoked keys`);
    if (otherScope) notes.push(`${otherScope} by keys pinned only for other scopes`);
    const unpinned = env.signatures.length - valid.size - revokedSeen - otherScope;
    if (unpinned > 0) notes.push(`${unpinned} ignored as not pinned or repeated`);
    throw new PackRefusal(
      'threshold',
      `pack \`${name}\` has valid signatures from ${valid.size} distinct pinned keys, scope \`${scope.prefix}\` requires ${scope.threshold}` +
        (notes.length ? ` (${notes.join(', ')})` : ''),
    );
  }

  if (container.body.length !== manifest.body.size)
    throw new PackRefusal('body-size', `pack body is ${container.body.length} bytes, manifest says ${manifest.body.size}`);
  const digest = hash('sha256', container.body, 'hex');
  if (digest !== manifest.body.sha256) throw new PackRefusal('body-digest', 'pack body does not match the signed sha-256');

  const now = (opts.now ?? new Date()).getTime();
  const skew = (opts.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS) * 1000;
  // INVARIANT: decodeManifest validated the time formats.
  if (now + skew < (parseManifestTime(manifest.not_before) as number))
    throw new PackRefusal('not-yet-valid', `pack \`${name}\` is not valid before ${manifest.not_before}`);
  if (now - skew > (parseManifestTime(manifest.expires_at) as number))
    throw new PackRefusal('expired', `pack \`${name}\` expired at ${manifest.expires_at}`);
  if (manifest.serial < scope.minSerial)
    throw new PackRefusal('min-serial', `pack \`${name}\` serial ${manifest.serial} is below min_serial ${scope.minSerial} of scope \`${scope.prefix}\``);

  const manifestDigest = hash('sha256', env.payload, 'hex');
  if (opts.state) {
    const mark = opts.state.get(name);
    if (mark && manifest.serial < mark.serial)
      throw new PackRefusal('rollback', `pack \`${name}\` serial ${manifest.serial} is older than the last accepted serial ${mark.serial}`);
    if (mark && manifest.serial === mark.serial && mark.manifest_sha256 !== manifestDigest)
      throw new PackRefusal('serial-reuse', `pack \`${name}\` serial ${manifest.serial} was already accepted with different content`);
    if (!mark || manifest.serial > mark.serial)
      opts.state.put(name, { serial: manifest.serial, manifest_sha256: manifestDigest, body_sha256: digest });
  }
  return { manifest, body: container.body, digest, manifestDigest, signers: [...valid].sort() };
}
