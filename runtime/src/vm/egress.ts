/**
 * Egress (DESIGN §3 step 6): which network destinations a call carries, how
 * each is parsed into one canonical host, and whether an agent's `egress`
 * lists admit it.
 *
 * Rule: EVERY destination the call carries must pass. A destination is any of
 * the top-level argument fields in `DESTINATION_FIELDS` (the names the
 * production engine reads — `url`, `host`, `hostname`, `endpoint`,
 * `base_url`, `baseUrl` — plus `uri`, `href`, `domain` and the list forms
 * `urls`, `hosts`; not `address`, which tools use for e-mail and postal
 * addresses). A destination that is present but cannot be parsed
 * into one unambiguous host is refused: a non-string, an empty string, a URL
 * without `scheme://`, userinfo (`https://api.example.com@evil.test/`), a
 * backslash or control character in the authority, percent-escapes in the
 * host, a malformed port, an empty label, or a numeric host that is not a
 * canonical dotted-quad IPv4 address (`0x7f.1`, `2130706433`, which URL
 * parsers read differently). Hosts are compared lower-case, with one trailing
 * dot removed and internationalised names in punycode (`domainToASCII`), so
 * `API.Example.COM.` and `api.example.com` are the same host.
 *
 * The parser is hand-written (no `new URL` per call; `new URL` only for the
 * rare bracketed IPv6 host): it only finds the authority, and refuses
 * everything where parsers are known to disagree. Results are cached per
 * destination string (bounded), since agents reuse a few destinations.
 * Fields are found with for-in, so a destination inherited through the
 * prototype chain is checked too (more checks, never fewer).
 */
import { domainToASCII } from 'node:url';

/** Argument fields that carry a destination; each is checked when present. */
export const DESTINATION_FIELDS: readonly string[] = Object.freeze([
  'url',
  'uri',
  'href',
  'endpoint',
  'base_url',
  'baseUrl',
  'host',
  'hostname',
  'domain',
  'urls',
  'hosts',
]);

const DESTINATION_SET: ReadonlySet<string> = new Set(DESTINATION_FIELDS);

/** Fields that must hold a URL with a scheme (a bare host is not accepted there). */
const URL_ONLY = new Set(['url', 'uri', 'href', 'urls']);

/** Most destinations one list field may carry (more is refused, not truncated). */
export const MAX_DESTINATIONS = 256;

/** A destination that parsed: the field it came from and its canonical host. */
export interface Destination {
  field: string;
  host: string;
}

/** What the call carries: parsed destinations, or the first one that failed. */
export type Destinations = { ok: true; list: Destination[] } | { ok: false; field: string; why: string };


/**
 * The destinations of a call's arguments (top-level fields only). Never throws.
 */
export function destinationsOf(args: { readonly [k: string]: unknown } | undefined): Destinations {
  const list: Destination[] = [];
  if (args === undefined || args === null || typeof args !== 'object') return { ok: true, list };
  for (const field in args) {
    if (!DESTINATION_SET.has(field)) continue;
    const v = args[field];
    const items = Array.isArray(v) ? v : [v];
    if (Array.isArray(v) && v.length > MAX_DESTINATIONS) return { ok: false, field, why: `more than ${MAX_DESTINATIONS} destinations` };
    for (const item of items) {
      if (typeof item !== 'string') return { ok: false, field, why: `${describe(item)} is not a host or URL` };
      const r = parseDestination(item, URL_ONLY.has(field));
      if ('why' in r) return { ok: false, field, why: r.why };
      list.push({ field, host: r.host });
    }
  }
  return { ok: true, list };
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a nested list';
  return `a ${typeof v}`;
}

/**
 * Canonical host of one destination string, or why it cannot be checked.
 * `urlOnly`: the field names a URL, so a bare host without `scheme://` is refused.
 */
export function parseDestination(s: string, urlOnly: boolean): { host: string } | { why: string } {
  // Agents call the same few destinations again and again: parse each once.
  const cache = urlOnly ? URL_CACHE : HOST_CACHE;
  let r = cache.get(s);
  if (r === undefined) {
    r = Object.freeze(parseUncached(s, urlOnly));
    if (s.length <= 512) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(s, r);
    }
  }
  return r;
}

const CACHE_LIMIT = 4096;
const URL_CACHE = new Map<string, { host: string } | { why: string }>();
const HOST_CACHE = new Map<string, { host: string } | { why: string }>();

function parseUncached(s: string, urlOnly: boolean): { host: string } | { why: string } {
  if (s.length === 0) return { why: 'empty destination' };
  if (s.length > 8192) return { why: 'destination longer than 8192 characters' };
  const sep = s.indexOf('://');
  let authority: string;
  if (sep >= 0) {
    if (!validScheme(s, sep)) return { why: 'malformed URL scheme' };
    let end = s.length;
    for (let i = sep + 3; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
        end = i;
        break;
      }
    }
    authority = s.slice(sep + 3, end);
  } else {
    if (urlOnly) return { why: 'URL without a scheme (write `https://host/...`)' };
    authority = s;
  }
  return parseAuthority(authority);
}

/** `[A-Za-z][A-Za-z0-9+.-]*` over s[0, end). */
function validScheme(s: string, end: number): boolean {
  if (end === 0) return false;
  for (let i = 0; i < end; i++) {
    const c = s.charCodeAt(i) | 0x20; // ASCII letters fold to lower case
    const letter = c >= 97 && c <= 122;
    if (i === 0 ? !letter : !(letter || (s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) || s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45 || s.charCodeAt(i) === 46)) return false;
  }
  return true;
}

/** `host[:port]` or `[ipv6][:port]` → canonical host. */
function parseAuthority(a: string): { host: string } | { why: string } {
  if (a.length === 0) return { why: 'URL without a host' };
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c <= 0x20 || c === 0x7f) return { why: 'whitespace or control character in the host' };
    if (c === 92 /* \ */) return { why: 'backslash in the authority' };
    if (c === 64 /* @ */) return { why: 'userinfo (`@`) in the authority' };
    if (c === 37 /* % */) return { why: 'percent-escape in the host' };
    if (c === 47 || c === 63 || c === 35) return { why: 'a path where a host is expected' };
  }
  let hostPart: string;
  let port: string | null = null;
  if (a.charCodeAt(0) === 91 /* [ */) {
    const close = a.indexOf(']');
    if (close < 0) return { why: 'unterminated IPv6 address' };
    hostPart = a.slice(0, close + 1);
    const after = a.slice(close + 1);
    if (after.length > 0) {
      if (after.charCodeAt(0) !== 58) return { why: 'text after an IPv6 address' };
      port = after.slice(1);
    }
    const v6 = canonicalIpv6(hostPart.slice(1, -1));
    if (v6 === null) return { why: 'malformed IPv6 address' };
    if (port !== null && !validPort(port)) return { why: 'malformed port' };
    return { host: v6 };
  }
  const colon = a.indexOf(':');
  if (colon >= 0) {
    if (a.indexOf(':', colon + 1) >= 0) return { why: 'more than one `:` in the host (IPv6 needs brackets)' };
    hostPart = a.slice(0, colon);
    port = a.slice(colon + 1);
    if (!validPort(port)) return { why: 'malformed port' };
  } else hostPart = a;
  const h = canonicalHost(hostPart);
  return typeof h === 'string' ? { host: h } : h;
}

function validPort(p: string): boolean {
  if (!/^[0-9]{1,5}$/.test(p)) return false;
  const n = Number(p);
  return n >= 1 && n <= 65535;
}

const IPV4 = /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/**
 * Canonical form of a DNS host name or IPv4 address: lower case, punycode,
 * one trailing dot dropped; an object with the reason when it is not one.
 */
export function canonicalHost(h: string): string | { why: string } {
  if (h.length === 0) return { why: 'empty host' };
  let s = h;
  let ascii = true;
  let upper = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) ascii = false;
    else if (c >= 65 && c <= 90) upper = true;
  }
  if (!ascii) {
    s = domainToASCII(s);
    if (s === '') return { why: 'invalid internationalised host name' };
    s = s.toLowerCase();
  } else if (upper) s = s.toLowerCase();
  if (s.charCodeAt(s.length - 1) === 46) s = s.slice(0, -1);
  if (s.length === 0 || s.length > 253) return { why: 'host name length out of range' };
  // Labels: 1–63 of [a-z0-9_-], not starting or ending with `-`.
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46;
    if (c === 46) {
      const len = i - start;
      if (len === 0) return { why: 'empty label in the host' };
      if (len > 63 || s.charCodeAt(start) === 45 || s.charCodeAt(i - 1) === 45) return { why: 'invalid label in the host' };
      start = i + 1;
      continue;
    }
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45)) return { why: 'invalid character in the host' };
  }
  // URL parsers read a host whose last label is numeric as an IPv4 address in
  // any of several notations; only the canonical dotted quad is unambiguous.
  const first = s.charCodeAt(s.lastIndexOf('.') + 1);
  if (first >= 48 && first <= 57 && NUMERIC_LAST.test(s) && !IPV4.test(s)) return { why: 'numeric host that is not a dotted-quad IPv4 address' };
  return s;
}

const NUMERIC_LAST = /(?:^|\.)(?:[0-9]+|0x[0-9a-f]*)$/;

/** `[…]` form of an IPv6 address in canonical (RFC 5952) text (an IPv4-mapped one as dotted IPv4), or null. */
function canonicalIpv6(inner: string): string | null {
  if (inner.length === 0 || inner.length > 45 || !/^[0-9A-Fa-f:.]+$/.test(inner)) return null;
  try {
    // Rare path: only bracketed hosts reach it, so one URL parse is acceptable here.
    const h = new URL(`http://[${inner}]/`).hostname;
    if (!h.startsWith('[')) return null;
    // An IPv4-mapped address reaches the IPv4 host: compare it as one, so that
    // `[::ffff:127.0.0.1]` cannot slip past a deny list naming `127.0.0.1`.
    const m = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(h);
    if (m) {
      const hi = parseInt(m[1]!, 16);
      const lo = parseInt(m[2]!, 16);
      return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
    }
    return h;
  } catch {
    return null;
  }
}

/**
 * Canonical form of an `egress` list entry: `*`, `*.` + host name, a host
 * name, a dotted-quad IPv4 address or a bracketed IPv6 address. An object
 * with the reason when the entry is none of these. The compiler uses it to
 * refuse bad entries; the runtime compares against entries in this form.
 */
export function canonicalHostPattern(p: string): string | { why: string } {
  if (p === '*') return p;
  if (p.startsWith('*.')) {
    const h = canonicalHost(p.slice(2));
    if (typeof h !== 'string') return h;
    if (IPV4.test(h)) return { why: '`*.` needs a domain name, not an address' };
    return '*.' + h;
  }
  if (p.includes('*')) return { why: '`*` is allowed only as the whole entry or as a leading `*.`' };
  if (p.startsWith('[')) {
    if (!p.endsWith(']')) return { why: 'malformed IPv6 address' };
    return canonicalIpv6(p.slice(1, -1)) ?? { why: 'malformed IPv6 address' };
  }
  if (p.includes(':')) {
    if (canonicalIpv6(p) !== null) return { why: 'write an IPv6 address in brackets: `[::1]`' };
    return { why: 'an entry names a host, without a port or scheme' };
  }
  return canonicalHost(p);
}

/**
 * Does a canonical host match a canonical list entry? `*` any, `*.x.com`
 * strict subdomains of x.com, otherwise equal. INVARIANT: entries are in
 * canonical form (the compiler writes them through `canonicalHostPattern`).
 */
export function egressMatch(pattern: string, host: string): boolean {
  const L = pattern.length;
  if (L === 1 && pattern === '*') return true;
  if (L > 2 && pattern.charCodeAt(0) === 42 && pattern.charCodeAt(1) === 46) {
    // host ends with pattern[1..] (".x.com") and has at least one more character
    const off = host.length - (L - 1);
    if (off < 1) return false;
    for (let k = 1; k < L; k++) if (pattern.charCodeAt(k) !== host.charCodeAt(off + k - 1)) return false;
    return true;
  }
  return pattern === host;
}

/** The result of checking a call against an egress list pair. */
export type EgressVerdict = { ok: true; host: string | null } | { ok: false; host: string | null; why: string };

/**
 * Checks every destination of `args` against `allow`/`deny` (deny wins; an
 * empty allow list admits every host the deny list does not name). A call
 * with no destination passes; a destination that cannot be parsed does not.
 */
export function checkEgress(allow: readonly string[], deny: readonly string[], args: { readonly [k: string]: unknown } | undefined): EgressVerdict {
  let last: string | null = null;
  if (args === undefined || args === null || typeof args !== 'object') return { ok: true, host: null };
  // for-in visits every enumerable key, inherited ones too: a destination on
  // the prototype chain is checked as well (more checks, never fewer).
  for (const field in args) {
    if (!DESTINATION_SET.has(field)) continue;
    const v = args[field];
    if (Array.isArray(v)) {
      if (v.length > MAX_DESTINATIONS) return { ok: false, host: null, why: `args.${field} cannot be checked: more than ${MAX_DESTINATIONS} destinations` };
      for (let i = 0; i < v.length; i++) {
        const r = checkOne(allow, deny, field, v[i]);
        if (typeof r !== 'string') return r;
        last = r;
      }
    } else {
      const r = checkOne(allow, deny, field, v);
      if (typeof r !== 'string') return r;
      last = r;
    }
  }
  return { ok: true, host: last };
}

/** One destination against the lists: its canonical host when it passes, else the refusal. */
function checkOne(allow: readonly string[], deny: readonly string[], field: string, item: unknown): string | { ok: false; host: string | null; why: string } {
  if (typeof item !== 'string') return { ok: false, host: null, why: `args.${field} cannot be checked: ${describe(item)} is not a host or URL` };
  const r = parseDestination(item, URL_ONLY.has(field));
  if ('why' in r) return { ok: false, host: null, why: `args.${field} cannot be checked: ${r.why}` };
  const host = r.host;
  for (let i = 0; i < deny.length; i++) if (egressMatch(deny[i]!, host)) return { ok: false, host, why: `host '${host}' (args.${field}) is in the egress deny list` };
  if (allow.length > 0) {
    for (let i = 0; i < allow.length; i++) if (egressMatch(allow[i]!, host)) return host;
    return { ok: false, host, why: `host '${host}' (args.${field}) not in egress allow list` };
  }
  return host;
}
