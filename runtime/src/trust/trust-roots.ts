import { ioErrorMessage } from '../util/io-error';
import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { decodeBase64Strict } from '../crypto/base64';
import { parsePublicKey, SIG_ALGORITHMS, type SigAlgorithm } from '../crypto/keys';
import { isKeyId } from './dsse';
import { isValidPackName } from './manifest';
import { PackRefusal } from './refusal';

/** A pinned public key. Its id was recomputed from the key material on load. */
export interface TrustedKey {
  id: string;
  /** Pinned by the trust file; the pack never chooses it. */
  algorithm: SigAlgorithm;
  spki: Uint8Array;
  keyObject: KeyObject;
  comment?: string;
}

/** Which keys may sign packs whose names fall under `prefix`. */
export interface TrustScope {
  /** `*` (every pack) or a pack-name prefix matched on whole `/` segments. */
  prefix: string;
  keys: string[];
  /** Signatures from this many distinct keys of `keys` are required. */
  threshold: number;
  /** Packs with a lower serial are refused. */
  minSerial: number;
}

/** Parsed, validated trust roots (see `runtime/src/trust/README.md`). */
export interface TrustRoots {
  keys: Map<string, TrustedKey>;
  scopes: TrustScope[];
  revoked: Set<string>;
  /**
   * Name binding (issue 9, class 12). `expectedName`: the only pack name this
   * host accepts (top-level `expected_name`); `deployments`: deployment id →
   * the pack name that deployment accepts; `requireExpectedName`: refuse a
   * pack when no expected name is configured (set by `require_expected_name`,
   * and implied by a `deployments` map). Optional so that hand-built roots of
   * older callers keep working; absent means none.
   */
  expectedName?: string | null;
  deployments?: Map<string, string>;
  requireExpectedName?: boolean;
}

const DEPLOYMENT_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;


function refuse(why: string): never {
  throw new PackRefusal('trust-file', `invalid trust file: ${why}`);
}

function checkFields(v: unknown, where: string, required: string[], optional: string[]): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) refuse(`${where} must be an object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) refuse(`unknown field \`${k}\` in ${where}`);
  for (const k of required) if (!Object.prototype.hasOwnProperty.call(o, k)) refuse(`missing field \`${k}\` in ${where}`);
  return o;
}

/**
 * Validates trust roots given as parsed JSON or JSON text. Refuses (code
 * `trust-file`) on unknown fields, a key whose `id` differs from the
 * `sha256:` of its DER SPKI, the same key listed twice, a key whose material
 * does not match its pinned `algorithm`, a scope naming an unknown key or
 * the same key twice, duplicate scopes, or a threshold outside 1..keys.
 */
export function parseTrustRoots(json: unknown): TrustRoots {
  let v = json;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      refuse('not json');
    }
  }
  const top = checkFields(v, 'the trust file', ['version', 'keys', 'scopes'], ['revoked', 'comment', 'expected_name', 'deployments', 'require_expected_name']);
  if (top.version !== 1) refuse('`version` must be 1');
  if (!Array.isArray(top.keys) || !Array.isArray(top.scopes)) refuse('`keys` and `scopes` must be arrays');
  const keys = new Map<string, TrustedKey>();
  top.keys.forEach((k, i) => {
    const o = checkFields(k, `keys[${i}]`, ['id', 'algorithm', 'public_key'], ['comment']);
    if (typeof o.id !== 'string' || !isKeyId(o.id)) refuse(`keys[${i}].id must be \`sha256:<64 hex>\``);
    if (typeof o.algorithm !== 'string' || !SIG_ALGORITHMS.includes(o.algorithm as SigAlgorithm))
      refuse(`keys[${i}].algorithm must be one of ${SIG_ALGORITHMS.join(', ')}`);
    if (typeof o.public_key !== 'string') refuse(`keys[${i}].public_key must be a string`);
    const pk = o.public_key.trim();
    let parsed;
    try {
      if (pk.startsWith('-----BEGIN')) parsed = parsePublicKey(pk);
      else {
        const der = decodeBase64Strict(pk);
        if (!der) refuse(`keys[${i}].public_key is neither pem nor canonical base64 der`);
        parsed = parsePublicKey(der);
      }
    } catch (e) {
      if (e instanceof PackRefusal) throw e;
      refuse(`keys[${i}]: ${(e as Error).message}`);
    }
    if (parsed.algorithm !== o.algorithm)
      refuse(`keys[${i}] is pinned as \`${o.algorithm}\` but its key material is \`${parsed.algorithm}\``);
    if (parsed.keyId !== o.id) refuse(`keys[${i}].id \`${o.id}\` does not match its key material (\`${parsed.keyId}\`)`);
    if (keys.has(parsed.keyId)) refuse(`key \`${parsed.keyId}\` is listed twice`);
    keys.set(parsed.keyId, {
      id: parsed.keyId,
      algorithm: parsed.algorithm,
      spki: parsed.spki,
      keyObject: parsed.keyObject,
      ...(typeof o.comment === 'string' ? { comment: o.comment } : {}),
    });
  });
  const scopes: TrustScope[] = [];
  top.scopes.forEach((s, i) => {
    const o = checkFields(s, `scopes[${i}]`, ['prefix', 'keys', 'threshold'], ['min_serial', 'comment']);
    if (typeof o.prefix !== 'string' || (o.prefix !== '*' && !isValidPackName(o.prefix)))
      refuse(`scopes[${i}].prefix must be \`*\` or a pack-name prefix like \`acme/payments\``);
    if (scopes.some((x) => x.prefix === o.prefix)) refuse(`scope \`${o.prefix}\` is listed twice`);
    if (!Array.isArray(o.keys) || o.keys.length === 0) refuse(`scopes[${i}].keys must be a non-empty array`);
    const ids: string[] = [];
    for (const id of o.keys) {
      if (typeof id !== 'string' || !keys.has(id)) refuse(`scopes[${i}] names key \`${String(id)}\` that is not in \`keys\``);
      if (ids.includes(id)) refuse(`scopes[${i}] lists key \`${id}\` twice`);
      ids.push(id);
    }
    if (typeof o.threshold !== 'number' || !Number.isSafeInteger(o.threshold) || o.threshold < 1 || o.threshold > ids.length)
      refuse(`scopes[${i}].threshold must be an integer from 1 to ${ids.length}`);
    const minSerial = o.min_serial ?? 0;
    if (typeof minSerial !== 'number' || !Number.isSafeInteger(minSerial) || minSerial < 0)
      refuse(`scopes[${i}].min_serial must be a non-negative integer`);
    scopes.push({ prefix: o.prefix, keys: ids, threshold: o.threshold, minSerial });
  });
  const revoked = new Set<string>();
  if (top.revoked !== undefined) {
    if (!Array.isArray(top.revoked)) refuse('`revoked` must be an array of key ids');
    for (const id of top.revoked) {
      if (typeof id !== 'string' || !isKeyId(id)) refuse('`revoked` entries must be `sha256:<64 hex>`');
      revoked.add(id);
    }
  }
  let expectedName: string | null = null;
  if (top.expected_name !== undefined) {
    if (typeof top.expected_name !== 'string' || !isValidPackName(top.expected_name)) refuse('`expected_name` must be a pack name like `acme/payments`');
    expectedName = top.expected_name;
  }
  const deployments = new Map<string, string>();
  if (top.deployments !== undefined) {
    const d = top.deployments;
    if (typeof d !== 'object' || d === null || Array.isArray(d)) refuse('`deployments` must be an object of deployment id → `{"expected_name": …}`');
    for (const id of Object.keys(d)) {
      if (!DEPLOYMENT_RE.test(id)) refuse(`deployment id \`${id.slice(0, 40)}\` must match [A-Za-z0-9][A-Za-z0-9._-]*`);
      const o = checkFields((d as Record<string, unknown>)[id], `deployments.${id}`, ['expected_name'], ['comment']);
      if (typeof o.expected_name !== 'string' || !isValidPackName(o.expected_name)) refuse(`deployments.${id}.expected_name must be a pack name like \`acme/payments\``);
      deployments.set(id, o.expected_name);
    }
  }
  if (top.require_expected_name !== undefined && typeof top.require_expected_name !== 'boolean') refuse('`require_expected_name` must be true or false');
  const requireExpectedName = top.require_expected_name === true || deployments.size > 0;
  return { keys, scopes, revoked, expectedName, deployments, requireExpectedName };
}

/** Reads and validates a trust file. I/O errors are plain `Error`s (exit 2 at the CLI). */
export function loadTrustRoots(path: string): TrustRoots {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(ioErrorMessage('read', path, e, 'trust file'));
  }
  return parseTrustRoots(text);
}

/**
 * The scope that governs `name`: the most specific prefix that matches on
 * whole `/` segments (`acme/pay` never covers `acme/payments`), `*` last.
 */
export function scopeFor(trust: TrustRoots, name: string): TrustScope | undefined {
  let best: TrustScope | undefined;
  let bestDepth = -1;
  for (const s of trust.scopes) {
    let depth: number;
    if (s.prefix === '*') depth = 0;
    else if (name === s.prefix || name.startsWith(s.prefix + '/')) depth = s.prefix.split('/').length;
    else continue;
    if (depth > bestDepth) {
      best = s;
      bestDepth = depth;
    }
  }
  return best;
}
