import { bytesEqual, canonicalJsonBytes, hasExactKeys, isLowerHexTail } from './canonical-json';
import { PackRefusal } from './refusal';

/** The signed manifest of a pack (DSSE payload, canonical JSON). */
export interface PackManifest {
  name: string;
  serial: number;
  /** RFC 3339 UTC, second precision: `2025-01-31T12:00:00Z`. */
  created_at: string;
  not_before: string;
  expires_at: string;
  body: { sha256: string; size: number };
  compiler: { name: string; version: string };
  source_sha256: string;
  /**
   * What the pack was built from besides its source: every import's canonical
   * ref (`host/path@version`) and the SHA-256 of the package bytes, sorted by
   * ref. Written by every build (empty when there are none); absent only in
   * packs made before the field existed.
   */
  imports?: ManifestImport[];
}

/** One import recorded in the manifest. */
export interface ManifestImport {
  ref: string;
  sha256: string;
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Most imports a manifest may list. */
export const MAX_MANIFEST_IMPORTS = 256;
/** A canonical import ref: lower-case host, `[a-z0-9._-]` segments, exact semver. */
const IMPORT_REF_RE = /^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?:\/(?!\.\.?(?:\/|@))[a-z0-9._-]+)+@[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

/** Pack names: `/`-separated segments of `[A-Za-z0-9._-]`, not starting with `.` or `-`, ≤ 200 chars. */
export const PACK_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/;

/** 64 lowercase hex digits (a SHA-256 digest). */
function isHex64(s: unknown): boolean {
  return isLowerHexTail(s, 0, 64);
}

/**
 * True when `name` is a valid pack name: what {@link PACK_NAME_RE} accepts, at
 * most 200 characters. A character loop rather than the pattern (tests check
 * both agree): every pack verification calls it, once per process.
 */
export function isValidPackName(name: string): boolean {
  if (typeof name !== 'string' || name.length === 0 || name.length > 200) return false;
  let segmentStart = true;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0x2f) {
      // `/`: no empty segment.
      if (segmentStart) return false;
      segmentStart = true;
      continue;
    }
    const word = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
    // A segment starts with [A-Za-z0-9_]; `.` and `-` may follow.
    if (!word && (segmentStart || (c !== 0x2e && c !== 0x2d))) return false;
    segmentStart = false;
  }
  return !segmentStart;
}

/** Formats a date as the manifest's RFC 3339 form (UTC, whole seconds). */
export function formatManifestTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The decimal number in `s` at [i, i + n), or -1 when a character there is not an ASCII digit. */
function digitsAt(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const d = s.charCodeAt(k) - 0x30;
    if (!(d >= 0 && d <= 9)) return -1;
    v = v * 10 + d;
  }
  return v;
}

/** Days in month `m` (1..12) of proleptic Gregorian year `y`. */
function daysInMonth(y: number, m: number): number {
  if (m === 2) return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/**
 * Parses the manifest's RFC 3339 form (`YYYY-MM-DDTHH:MM:SSZ`, a real
 * calendar date, hours 00–23, no leap second); undefined when not exactly that
 * form. The same strings and values as `Date.parse` plus a round trip through
 * {@link formatManifestTime} (tests compare the two), without a regular
 * expression, a Date or a formatted string: every verification calls it.
 */
export function parseManifestTime(s: string): number | undefined {
  if (typeof s !== 'string' || s.length !== 20) return undefined;
  if (s[4] !== '-' || s[7] !== '-' || s[10] !== 'T' || s[13] !== ':' || s[16] !== ':' || s[19] !== 'Z') return undefined;
  const y = digitsAt(s, 0, 4);
  const mo = digitsAt(s, 5, 2);
  const d = digitsAt(s, 8, 2);
  const h = digitsAt(s, 11, 2);
  const mi = digitsAt(s, 14, 2);
  const sec = digitsAt(s, 17, 2);
  if (y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined;
  if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) return undefined;
  return daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000;
}

/**
 * A manifest's own fields as a plain object (nothing else a decoded object
 * may carry): what the DSSE payload signs, and what `fmsc verify`/`inspect`
 * show. `imports` only when the manifest has them.
 */
export function manifestFields(m: PackManifest) {
  return {
    name: m.name,
    serial: m.serial,
    created_at: m.created_at,
    not_before: m.not_before,
    expires_at: m.expires_at,
    body: { sha256: m.body.sha256, size: m.body.size },
    source_sha256: m.source_sha256,
    compiler: { name: m.compiler.name, version: m.compiler.version },
    ...(m.imports ? { imports: m.imports.map((i) => ({ ref: i.ref, sha256: i.sha256 })) } : {}),
  };
}

/** Canonical bytes of a manifest (the DSSE payload). */
export function encodeManifest(m: PackManifest): Uint8Array {
  return canonicalJsonBytes(manifestFields(m));
}

/** Throws (plain Error) when a manifest a signer is about to sign is invalid. */
export function validateManifest(m: PackManifest): void {
  const err = (why: string): never => {
    throw new Error(why);
  };
  if (!isValidPackName(m.name)) err(`invalid pack name \`${m.name}\``);
  if (!Number.isSafeInteger(m.serial) || m.serial < 0) err('serial must be a non-negative integer');
  for (const k of ['created_at', 'not_before', 'expires_at'] as const)
    if (parseManifestTime(m[k]) === undefined) err(`${k} must be rfc 3339 utc with whole seconds`);
  if ((parseManifestTime(m.expires_at) ?? 0) <= (parseManifestTime(m.not_before) ?? 0))
    err('expires_at must be after not_before');
  if (!isHex64(m.body.sha256) || !Number.isSafeInteger(m.body.size) || m.body.size < 0) err('bad body digest');
  if (!isHex64(m.source_sha256)) err('source_sha256 must be 64 lowercase hex digits');
  if (typeof m.compiler.name !== 'string' || typeof m.compiler.version !== 'string' || m.compiler.name.length > 100 || m.compiler.version.length > 100)
    err('bad compiler field');
  if (m.imports !== undefined) {
    if (!Array.isArray(m.imports) || m.imports.length > MAX_MANIFEST_IMPORTS) err(`imports must be a list of at most ${MAX_MANIFEST_IMPORTS}`);
    let prev = '';
    for (const i of m.imports) {
      if (!hasExactKeys(i, ['ref', 'sha256']) || typeof i.ref !== 'string' || typeof i.sha256 !== 'string') err('each import must be exactly {ref, sha256}');
      if (i.ref.length > 300 || !IMPORT_REF_RE.test(i.ref)) err(`import ref \`${String(i.ref).slice(0, 100)}\` is not a canonical \`host/path@version\``);
      if (!isHex64(i.sha256)) err('import sha256 must be 64 lowercase hex digits');
      if (i.ref <= prev) err('imports must be sorted by ref, each listed once');
      prev = i.ref;
    }
  }
}

/**
 * Strictly decodes a manifest payload: exact field set, types and formats,
 * and bytes equal to the canonical encoding.
 */
export function decodeManifest(payload: Uint8Array): PackManifest {
  const bad = (why: string): never => {
    throw new PackRefusal('manifest-malformed', `malformed manifest: ${why}`);
  };
  let v: unknown;
  try {
    v = JSON.parse(utf8Strict.decode(payload));
  } catch {
    return bad('not utf-8 json');
  }
  const fields = ['name', 'serial', 'created_at', 'not_before', 'expires_at', 'body', 'compiler', 'source_sha256'];
  if (typeof v === 'object' && v !== null && Object.prototype.hasOwnProperty.call(v, 'imports')) fields.push('imports');
  if (!hasExactKeys(v, fields)) return bad('unexpected fields');
  if (!hasExactKeys(v.body, ['sha256', 'size'])) return bad('unexpected body fields');
  if (!hasExactKeys(v.compiler, ['name', 'version'])) return bad('unexpected compiler fields');
  const m = v as unknown as PackManifest;
  for (const [k, x] of [
    ['name', m.name],
    ['created_at', m.created_at],
    ['not_before', m.not_before],
    ['expires_at', m.expires_at],
    ['body.sha256', m.body.sha256],
    ['compiler.name', m.compiler.name],
    ['compiler.version', m.compiler.version],
    ['source_sha256', m.source_sha256],
  ] as const)
    if (typeof x !== 'string') bad(`\`${k}\` must be a string`);
  if (typeof m.serial !== 'number' || typeof m.body.size !== 'number') bad('numbers expected');
  if (!isValidPackName(m.name)) throw new PackRefusal('pack-name', `invalid pack name \`${m.name.slice(0, 200)}\``);
  try {
    validateManifest(m);
  } catch (e) {
    bad((e as Error).message);
  }
  const again = encodeManifest(m);
  if (!bytesEqual(again, payload)) bad('not in canonical form');
  return m;
}
