/**
 * Which `matches` patterns may run on the built-in `RegExp` (issue 15).
 *
 * Patterns are RE2 syntax (DESIGN §3 "Conditions") and the arguments come
 * from the agent, so a pattern must never be able to stall a decision. V8's
 * `RegExp` backtracks: `a*b` searched in 100,000 `a`s takes seconds. `re2js`
 * is linear but 6–10× slower per test and its first compile in a process
 * costs tens of milliseconds. So a pattern runs on `RegExp` only when this
 * module PROVES two things, and on `re2js` otherwise:
 *
 * 1. Linear time. The pattern has no `*`, `+` or `{…}` repetition; at most
 *    {@link MAX_OPTIONAL} `?`. Without repetition, one match attempt at one
 *    start position visits each pattern element at most once per branch of
 *    `?`, so a search costs O(input length × pattern size × 2^optionals):
 *    linear in what the agent controls.
 * 2. Same answer. The pattern is parsed here (a strict subset of RE2: any
 *    unknown or ambiguous construct refuses) and re-emitted as JS syntax with
 *    the `u` flag (code points, as RE2 reads UTF-8) and RE2's meanings spelt
 *    out: `.` becomes `[^\n]` (JS `.` also refuses `\r`, U+2028, U+2029),
 *    `\s` becomes `[\t\n\f\r ]` (JS `\s` is Unicode-wide), `\d` and `\w` are
 *    ASCII in both. A leading `(?i)` becomes the `i` flag; under it `\w`,
 *    `\W` and classes are refused (JS case-folds them with `iu` differently).
 *
 * A property test (test/runtime/vm/regex-safety.test.ts) checks that both
 * engines agree on generated patterns and inputs.
 */

/** Most `?` a pattern may hold and still run on `RegExp` (each may double the work per start position). */
export const MAX_OPTIONAL = 6;
/** Longest pattern translated (longer patterns stay on re2js). */
export const MAX_SAFE_PATTERN = 1024;

const SHORTHAND: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    d: '[0-9]',
    D: '[^0-9]',
    w: '[0-9A-Za-z_]',
    W: '[^0-9A-Za-z_]',
    s: '[\\t\\n\\f\\r ]',
    S: '[^\\t\\n\\f\\r ]',
  }),
);
/** Class members of the shorthands allowed inside `[...]` (negated shorthands are refused there). */
const CLASS_SHORTHAND: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, { d: '0-9', w: '0-9A-Za-z_', s: '\\t\\n\\f\\r ' }),
);
const CONTROL: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, { n: '\\n', t: '\\t', r: '\\r', f: '\\f', v: '\\v' }),
);

/** ASCII punctuation RE2 accepts escaped as a literal. */
function isPunct(c: string): boolean {
  return /^[!-/:-@[-`{-~]$/.test(c);
}

/** A literal code point written for JS `u` mode, outside a class. */
function lit(c: string): string {
  return /^[\^$\\.*+?()[\]{}|/]$/.test(c) ? '\\' + c : c === '\n' ? '\\n' : c;
}

/** A literal code point written for JS `u` mode, inside a class. */
function classLit(c: string): string {
  return /^[\\\]\[^\-]$/.test(c) ? '\\' + c : c === '\n' ? '\\n' : c;
}

/** A JS `RegExp` source and flags that decide exactly like RE2 on `pattern`, in linear time; null when not proven. */
export function safeRegExpSource(pattern: string): { source: string; flags: string } | null {
  if (typeof pattern !== 'string' || pattern.length > MAX_SAFE_PATTERN) return null;
  const cps = Array.from(pattern);
  let i = 0;
  let flags = 'u';
  if (pattern.startsWith('(?i)')) {
    flags = 'iu';
    i = 4;
  }
  const ci = flags === 'iu';
  let out = '';
  let depth = 0;
  let optionals = 0;
  /** Whether the last emitted element can take a `?` (an atom or a closed group). */
  let atom = false;
  while (i < cps.length) {
    const c = cps[i]!;
    if (c === '\\') {
      const n = cps[i + 1];
      if (n === undefined) return null;
      if (SHORTHAND[n] !== undefined) {
        if (ci && (n === 'w' || n === 'W')) return null;
        out += SHORTHAND[n];
      } else if (CONTROL[n] !== undefined) out += CONTROL[n];
      else if (isPunct(n)) out += lit(n);
      else return null;
      i += 2;
      atom = true;
      continue;
    }
    if (c === '[') {
      if (ci) return null;
      let j = i + 1;
      let body = '';
      let neg = false;
      if (cps[j] === '^') {
        neg = true;
        j++;
      }
      let first = true;
      let prevLit: string | null = null;
      for (;;) {
        const d = cps[j];
        if (d === undefined) return null;
        if (d === ']' && !first) break;
        if (d === ']') return null; // `[]a]`: RE2 reads `]` as a literal here; refuse rather than emulate
        if (d === '[') return null; // POSIX classes `[[:alpha:]]` and nesting
        if (d === '-') {
          // A range needs a literal on both sides; a bare `-` at the ends is refused (emulating is not worth it).
          const e = cps[j + 1];
          if (prevLit === null || e === undefined || e === ']' || e === '\\' || e === '[' || e === '-') return null;
          if (e.codePointAt(0)! < prevLit.codePointAt(0)!) return null;
          body += '-' + classLit(e);
          j += 2;
          prevLit = null;
          first = false;
          continue;
        }
        if (d === '\\') {
          const e = cps[j + 1];
          if (e === undefined) return null;
          if (CLASS_SHORTHAND[e] !== undefined) {
            body += CLASS_SHORTHAND[e];
            prevLit = null;
          } else if (CONTROL[e] !== undefined) {
            body += CONTROL[e];
            prevLit = null;
          } else if (isPunct(e)) {
            body += classLit(e);
            prevLit = e;
          } else return null;
          j += 2;
          first = false;
          continue;
        }
        body += classLit(d);
        prevLit = d;
        j++;
        first = false;
      }
      out += '[' + (neg ? '^' : '') + body + ']';
      i = j + 1;
      atom = true;
      continue;
    }
    if (c === '(') {
      if (cps[i + 1] === '?') {
        if (cps[i + 2] !== ':') return null; // flags, named groups
        out += '(?:';
        i += 3;
      } else {
        out += '(?:'; // capture groups do not change a test's answer
        i += 1;
      }
      depth++;
      atom = false;
      continue;
    }
    if (c === ')') {
      if (depth === 0) return null;
      depth--;
      out += ')';
      i++;
      atom = true;
      continue;
    }
    if (c === '|') {
      out += '|';
      i++;
      atom = false;
      continue;
    }
    if (c === '^' || c === '$') {
      out += c;
      i++;
      atom = false;
      continue;
    }
    if (c === '.') {
      out += '[^\\n]';
      i++;
      atom = true;
      continue;
    }
    if (c === '?') {
      // Only a greedy `?` on an atom or group; `??`, `?+` and a `?` after nothing are refused.
      if (!atom || cps[i + 1] === '?' || cps[i + 1] === '+' || ++optionals > MAX_OPTIONAL) return null;
      out += '?';
      i++;
      atom = false;
      continue;
    }
    if (c === '*' || c === '+' || c === '{' || c === '}' || c === ']') return null;
    out += lit(c);
    i++;
    atom = true;
  }
  if (depth !== 0) return null;
  try {
    new RegExp(out, flags);
  } catch {
    return null;
  }
  return { source: out, flags };
}
