import { domainToASCII, domainToUnicode } from 'node:url';
import type { DiagnosticSink } from '../diagnostics/diagnostic';
import { scopeCovers } from './imports';
import type { Import, Policy, TrustKey } from './types';

/**
 * Canonical import refs and trust scopes (DESIGN §5, README "Supply chain").
 * Pure: no file system. One spelling per artifact, so a ref can never reach the
 * same registry file under another name (and skip a pin), and never names a
 * file outside the registry:
 *
 *   ref    = host "/" segment *("/" segment) "@" semver
 *   scope  = host *("/" segment)
 *   host   = label *("." label)   lower-case ASCII letters, digits, `-`;
 *            an international name only as punycode (`xn--…`)
 *   segment = 1*[a-z0-9._-], never `.` or `..`
 *   semver = MAJOR.MINOR.PATCH[-prerelease][+build]   (semver.org 2.0.0)
 */

/** Longest ref, scope, path segment and version accepted (file names stay far below NAME_MAX). */
export const REF_LIMITS = { ref: 512, segment: 100, version: 100, host: 253, label: 63 } as const;

/** A ref that passed {@link parseImportRef}: its parts are safe to join into a registry path. */
export interface CanonicalRef {
  ref: string;
  host: string;
  /** `/`-separated segments after the host (at least one). */
  path: string;
  version: string;
}

/** Why a ref was refused: FMS2021 for the version (unpinned), FMS2070 for the rest. */
export interface RefProblem {
  code: 'FMS2021' | 'FMS2070';
  message: string;
  help: string;
}

const SEMVER =
  /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const SEGMENT = /^[a-z0-9._-]+$/;

/** Is `v` an exact semantic version (semver.org 2.0.0, no ranges, no leading zeros)? */
export function isExactSemver(v: string): boolean {
  return v.length <= REF_LIMITS.version && SEMVER.test(v);
}

/** Shows a user's string in a message: control and invisible characters escaped, length capped. */
export function shown(s: string, max = 80): string {
  const cut = s.length > max ? s.slice(0, max) + '…' : s;
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u00ad\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff`]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

/** Why `host` is not a canonical host, or undefined when it is. */
export function hostProblem(host: string): string | undefined {
  if (host === '') return 'the host is empty';
  if (/[^\x00-\x7f]/.test(host)) {
    const ascii = domainToASCII(host.toLowerCase());
    const odd = [...host].find((c) => c.codePointAt(0)! > 0x7f)!;
    const code = `U+${odd.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `host \`${shown(host)}\` is not ASCII (it contains ${code})${ascii ? `: write an international name as punycode, \`${ascii}\`` : ''}`;
  }
  if (host !== host.toLowerCase()) return `host \`${shown(host)}\` must be lower-case (\`${shown(host.toLowerCase())}\`)`;
  if (host.length > REF_LIMITS.host) return `host is longer than ${REF_LIMITS.host} characters`;
  if (host.includes(':')) return `host \`${shown(host)}\` has a scheme or a port; a ref is \`host/path@1.2.3\``;
  for (const label of host.split('.')) {
    if (!LABEL.test(label) || label.length > REF_LIMITS.label) return `host \`${shown(host)}\` is not a DNS name (labels of a-z, 0-9 and \`-\`, 1 to 63 characters, not starting or ending with \`-\`)`;
    if (label.slice(2, 4) === '--') {
      if (!label.startsWith('xn--')) return `host label \`${label}\` has \`--\` in 3rd and 4th position, which only punycode (\`xn--\`) may`;
      const uni = domainToUnicode(label);
      if (!uni || uni === label || domainToASCII(uni) !== label) return `host label \`${label}\` is not valid punycode`;
    }
  }
  return undefined;
}

/** Why the `/`-separated path segments are not canonical, or undefined. */
function segmentsProblem(segments: string[]): string | undefined {
  for (const s of segments) {
    if (s === '') return 'it has an empty path segment (`//`, or a `/` at the start or end)';
    if (s === '.' || s === '..') return `it has a \`${s}\` path segment`;
    if (!SEGMENT.test(s)) return `path segment \`${shown(s)}\` may contain only a-z, 0-9, \`.\`, \`_\` and \`-\``;
    if (s.length > REF_LIMITS.segment) return `a path segment is longer than ${REF_LIMITS.segment} characters`;
  }
  return undefined;
}

const CANONICAL_HELP = 'write the ref as `host/path@1.2.3`: a lower-case ASCII host (punycode `xn--…` for international names), path segments of a-z 0-9 `.` `_` `-`, and an exact version';

/**
 * Parses an import ref into its canonical parts, or says why it is refused.
 * The version is checked first (FMS2021, as before: `@latest`, ranges, none),
 * then the host and path (FMS2070).
 */
export function parseImportRef(ref: string): { ok: true; value: CanonicalRef } | { ok: false; problem: RefProblem } {
  const at = ref.indexOf('@');
  const version = at < 0 ? '' : ref.slice(at + 1);
  if (at < 0 || version === '') {
    return { ok: false, problem: { code: 'FMS2021', message: `import \`${shown(ref)}\` has no version`, help: 'pin an exact version: `import "host/kind/name@1.2.3"`' } };
  }
  if (!isExactSemver(version)) {
    const what = version === 'latest' ? '`@latest` is not a pinned version' : `\`@${shown(version)}\` is not an exact version`;
    return { ok: false, problem: { code: 'FMS2021', message: `unpinned import: ${what}`, help: 'imports must name an exact semantic version such as `@1.2.3`, so a build never changes under you' } };
  }
  const bad = (why: string): { ok: false; problem: RefProblem } => ({ ok: false, problem: { code: 'FMS2070', message: `import \`${shown(ref)}\` is not a canonical ref: ${why}`, help: CANONICAL_HELP } });
  if (ref.length > REF_LIMITS.ref) return bad(`it is longer than ${REF_LIMITS.ref} characters`);
  const target = ref.slice(0, at);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(target)) return bad('a ref has no scheme (drop `' + shown(target.slice(0, target.indexOf('//') + 2)) + '`)');
  const parts = target.split('/');
  const host = parts[0]!;
  if (host === '.' || host === '..') return bad(`it starts with a \`${host}\` segment`);
  const hp = hostProblem(host);
  if (hp) return bad(hp);
  if (parts.length < 2) return bad('it names a host but no package (`host/name@1.2.3`)');
  const sp = segmentsProblem(parts.slice(1));
  if (sp) return bad(sp);
  return { ok: true, value: { ref, host, path: parts.slice(1).join('/'), version } };
}

/** Why a `trust {}` scope is malformed (it would cover no canonical ref), or undefined. */
export function scopeProblem(scope: string): string | undefined {
  if (scope === '') return 'the scope is empty';
  if (scope.length > REF_LIMITS.ref) return `the scope is longer than ${REF_LIMITS.ref} characters`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(scope)) return 'a scope has no scheme: write `host/path`, as in the import ref';
  if (scope.includes('*')) return 'a scope has no wildcards: it covers every ref below it on `/` boundaries (`example.com/acme` covers `example.com/acme/pay@1.0.0`)';
  if (scope.includes('@')) return 'a scope names a publisher, not a version: drop the `@…`';
  const parts = scope.split('/');
  const hp = hostProblem(parts[0]!);
  if (hp) return hp;
  const sp = segmentsProblem(parts.slice(1));
  if (sp) return sp.replace(/^it has/, 'the scope has');
  return undefined;
}

// Look-alikes of Latin letters and digits (Unicode TR39 confusables, the
// characters that matter in host names): each maps to its Latin prototype.
const CONFUSABLE = new Map<string, string>([
  // Cyrillic
  ['а', 'a'], ['в', 'b'], ['е', 'e'], ['ё', 'e'], ['һ', 'h'], ['і', 'i'], ['ї', 'i'], ['ј', 'j'], ['к', 'k'], ['ӏ', 'l'], ['м', 'rn'], ['н', 'h'],
  ['о', 'o'], ['р', 'p'], ['с', 'c'], ['т', 't'], ['у', 'y'], ['х', 'x'], ['ѕ', 's'], ['ԁ', 'cl'], ['ԛ', 'q'], ['ԝ', 'vv'], ['ү', 'y'], ['ɡ', 'g'],
  ['ь', 'b'], ['п', 'n'], ['г', 'r'],
  // Greek
  ['α', 'a'], ['β', 'b'], ['ε', 'e'], ['η', 'n'], ['ι', 'i'], ['κ', 'k'], ['μ', 'u'], ['ν', 'v'], ['ο', 'o'], ['ρ', 'p'], ['τ', 't'], ['υ', 'u'],
  ['χ', 'x'], ['γ', 'y'], ['ϲ', 'c'], ['ϳ', 'j'], ['ω', 'vv'],
  // Armenian and other Latin look-alikes
  ['օ', 'o'], ['ս', 'u'], ['հ', 'h'], ['ո', 'n'], ['զ', 'q'], ['ց', 'g'], ['ı', 'i'], ['ɩ', 'i'], ['ɑ', 'a'], ['ℓ', 'l'], ['ǀ', 'l'],
  // Digits and letter pairs that read alike
  ['0', 'o'], ['1', 'l'], ['|', 'l'], ['m', 'rn'], ['w', 'vv'], ['d', 'cl'],
  // Dashes and dots
  ['‐', '-'], ['‑', '-'], ['‒', '-'], ['–', '-'], ['—', '-'], ['−', '-'], ['。', '.'], ['．', '.'], ['｡', '.'],
]);

/**
 * The TR39-style skeleton of a ref target or scope: punycode labels decoded
 * (`node:url` domainToUnicode), compatibility-normalised, lower-cased, accents
 * dropped, and every look-alike replaced by its Latin prototype. Two names with
 * the same skeleton read the same to a person.
 */
export function skeleton(name: string): string {
  const slash = name.indexOf('/');
  const host = slash < 0 ? name : name.slice(0, slash);
  const rest = slash < 0 ? '' : name.slice(slash);
  const uni = host.split('.').some((l) => l.startsWith('xn--')) ? domainToUnicode(host) || host : host;
  const s = (uni + rest).normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
  let out = '';
  for (const ch of s) out += CONFUSABLE.get(ch) ?? ch;
  return out;
}

/**
 * Checks the `trust {}` pins against the imports (one call from lowering):
 * a malformed scope is FMS2071 (it would silently cover nothing), and an
 * import no pin covers whose name reads like a pinned scope (`exаmple.com`
 * with a Cyrillic `а` as punycode, `examp1e.com`, `exarnple.com`) is FMS2072.
 */
export function checkPins(ir: Policy, sink: DiagnosticSink): void {
  const good: TrustKey[] = [];
  for (const k of ir.trust) {
    const why = scopeProblem(k.scope);
    if (why) sink.accept({ code: 'FMS2071', severity: 'error', message: `trust scope \`${shown(k.scope)}\` covers no import: ${why}`, span: k.loc.span, help: 'a scope is a host or a host and path prefix, written exactly as in the import refs it covers: `key "example.com/acme" ed25519:…`' });
    else good.push(k);
  }
  if (!good.length) return;
  const pins = good.map((k) => ({ key: k, skel: skeleton(k.scope) }));
  for (const imp of ir.imports) {
    const target = `${imp.host}/${imp.path}`;
    if (good.some((k) => scopeCovers(k.scope, target))) continue;
    const skel = skeleton(target);
    const twin = pins.find((p) => scopeCovers(p.skel, skel));
    if (!twin) continue;
    const uni = imp.host.includes('xn--') ? domainToUnicode(imp.host) : '';
    sink.accept({
      code: 'FMS2072',
      severity: 'error',
      message: `import \`${shown(imp.ref)}\`${uni ? ` (\`${shown(uni)}\`)` : ''} looks like the pinned publisher \`${twin.key.scope}\` but is not covered by its key`,
      span: imp.loc.span,
      related: [{ message: 'the pinned scope it imitates', file: sink.file, span: twin.key.loc.span }],
      help: `if this really is another publisher, pin its own key in \`trust {}\`; otherwise import from \`${twin.key.scope}\``,
    });
  }
}

/** Re-checks an Import's parts (defence in depth before they become a path); undefined when canonical. */
export function importProblem(imp: Pick<Import, 'host' | 'path' | 'version'>): string | undefined {
  const r = parseImportRef(`${imp.host}/${imp.path}@${imp.version}`);
  return r.ok ? undefined : r.problem.message;
}
