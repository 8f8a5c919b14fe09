import type { ToolPattern } from './types';

const VALID = /^[A-Za-z0-9_\-./*:@]+$/;

/** Why a tool pattern is malformed, or undefined when it is fine. */
export function patternProblem(text: string): string | undefined {
  if (text === '') return 'the tool pattern is empty';
  if (!VALID.test(text)) return `\`${text}\` has characters a tool name cannot contain`;
  if (text.includes('**')) return '`**` is not a pattern: `*` already matches any run of characters within a segment';
  if (text.startsWith('/') || text.endsWith('/') || text.includes('//')) return `\`${text}\` has an empty path segment`;
  return undefined;
}

/** Canonical rule pattern: `*` alone matches everything; elsewhere `*` stays within a `/` segment. */
export function rulePattern(text: string): ToolPattern {
  if (text === '*') return { kind: 'any', text: '*' };
  if (!text.includes('*')) return { kind: 'exact', text };
  return { kind: 'glob', text };
}

/**
 * Canonical rate-limit / redact pattern: a pattern whose only `*` is its last
 * character is a prefix match (may cross `/`); other globs behave as in rules.
 */
export function prefixPattern(text: string): ToolPattern {
  if (text === '*') return { kind: 'any', text: '*' };
  const star = text.indexOf('*');
  if (star === text.length - 1) return { kind: 'prefix', text, prefix: text.slice(0, -1) };
  return rulePattern(text);
}

const reCache = new Map<string, RegExp>();

/** A JS RegExp for a glob (`*` → `[^/]*`), anchored. Globs contain no regex syntax but `*`. */
export function globRegExp(glob: string): RegExp {
  let re = reCache.get(glob);
  if (!re) {
    re = new RegExp('^' + glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*') + '$');
    reCache.set(glob, re);
  }
  return re;
}

/** Does the pattern match the tool name? */
export function patternMatches(p: ToolPattern, tool: string): boolean {
  switch (p.kind) {
    case 'any':
      return true;
    case 'exact':
      return p.text === tool;
    case 'prefix':
      return tool.startsWith(p.prefix);
    case 'glob':
      return globRegExp(p.text).test(tool);
  }
}

/** Does every tool matched by `inner` also match `outer`? (Sound: true only when certain.) */
export function patternCovers(outer: ToolPattern, inner: ToolPattern): boolean {
  if (outer.kind === 'any') return true;
  if (inner.kind === 'any') return false;
  if (outer.kind === 'exact') return inner.kind === 'exact' && inner.text === outer.text;
  if (outer.kind === 'prefix') return inner.text.startsWith(outer.prefix);
  // outer is a glob: a `*` in inner is a literal the glob's `[^/]*` also matches.
  if (inner.kind === 'prefix') return false;
  return globRegExp(outer.text).test(inner.text);
}
