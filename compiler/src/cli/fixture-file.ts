import { didYouMean } from '../util/did-you-mean';

/** Where a JSON value sits in the text: its key (inside an object) and the value itself. */
export interface JsonSpan {
  keyStart?: number;
  start: number;
  end: number;
}

/** A JSON text parsed with the span of every value, keyed by JSON pointer (`/cases/0/expect`). */
export interface PositionedJson {
  value: unknown;
  spans: Map<string, JsonSpan>;
}

/** A problem in a fixture file at an offset of its text. */
export interface FixtureProblem {
  offset: number;
  message: string;
}

/** Thrown by {@link parseJsonWithSpans} for text that is not JSON. */
export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 64;
const ptr = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Parses JSON (RFC 8259) recording the span of every value. A duplicate key
 * is an error (a decoy second `expect` never silently wins); nesting deeper
 * than 64 is refused.
 */
export function parseJsonWithSpans(text: string): PositionedJson {
  const spans = new Map<string, JsonSpan>();
  let i = 0;
  const fail = (msg: string, at = i): never => {
    throw new JsonSyntaxError(msg, at);
  };
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    const start = i;
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text[i];
      if (c === '"') {
        i++;
        return out;
      }
      if (c < ' ') fail('a control character inside a string');
      if (c === '\\') {
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e === 'u') {
          const h = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('a bad \\u escape');
          out += String.fromCharCode(parseInt(h, 16));
          i += 6;
        } else if (e !== undefined && Object.prototype.hasOwnProperty.call(simple, e)) {
          out += simple[e];
          i += 2;
        } else fail('a bad escape');
      } else {
        out += c;
        i++;
      }
    }
  };
  const value = (path: string, depth: number, keyStart?: number): unknown => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    ws();
    const start = i;
    let v: unknown;
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      ws();
      if (text[i] === '}') i++;
      else {
        for (;;) {
          ws();
          if (text[i] !== '"') fail('expected a key in double quotes');
          const ks = i;
          const k = str();
          if (Object.prototype.hasOwnProperty.call(o, k)) fail(`the key \`${k}\` appears twice`, ks);
          ws();
          if (text[i] !== ':') fail('expected `:` after a key');
          i++;
          o[k] = value(`${path}/${ptr(k)}`, depth + 1, ks);
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === '}') {
            i++;
            break;
          }
          fail('expected `,` or `}`');
        }
      }
      v = o;
    } else if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') i++;
      else {
        for (;;) {
          a.push(value(`${path}/${a.length}`, depth + 1));
          ws();
          if (text[i] === ',') {
            i++;
            continue;
          }
          if (text[i] === ']') {
            i++;
            break;
          }
          fail('expected `,` or `]`');
        }
      }
      v = a;
    } else if (c === '"') v = str();
    else {
      const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 400));
      if (!m) fail(i >= text.length ? 'unexpected end of the file' : `unexpected \`${text[i]}\``);
      const t = (m as RegExpExecArray)[0];
      i += t.length;
      v = t === 'true' ? true : t === 'false' ? false : t === 'null' ? null : Number(t);
    }
    spans.set(path, { ...(keyStart !== undefined ? { keyStart } : {}), start, end: i });
    return v;
  };
  const v = value('', 0);
  ws();
  if (i < text.length) fail('unexpected text after the JSON value');
  return { value: v, spans };
}

type Kind = 'string' | 'number' | 'object' | 'array' | 'number-or-string' | 'effect';
const CASE_KEYS: ReadonlyMap<string, Kind> = new Map([
  ['name', 'string'],
  ['tool', 'string'],
  ['agent_id', 'string'],
  ['args', 'object'],
  ['principal', 'object'],
  ['session', 'string'],
  ['model', 'string'],
  ['cost', 'number'],
  ['selectors', 'object'],
  ['purpose', 'string'],
  ['time', 'number-or-string'],
  ['delegation', 'object'],
  ['expect', 'object'],
]);
const TOP_KEYS: ReadonlyMap<string, Kind> = new Map([
  ['$schema', 'string'],
  ['policy', 'string'],
  ['fixture', 'string'],
  ['agent_id', 'string'],
  ['cases', 'array'],
]);
const EXPECT_KEYS: ReadonlyMap<string, Kind> = new Map([
  ['effect', 'effect'],
  ['code', 'string'],
  ['rule_ref', 'string'],
]);
const DELEGATION_KEYS: ReadonlyMap<string, Kind> = new Map([
  ['by', 'string'],
  ['depth', 'number'],
]);
/** The keys the fixture schema allows, per object (the test keeps `schemas/fmtest.schema.json` in step). */
export const FIXTURE_KEYS = { top: TOP_KEYS, case: CASE_KEYS, expect: EXPECT_KEYS, delegation: DELEGATION_KEYS } as const;
const REQUIRED: ReadonlyMap<ReadonlyMap<string, Kind>, string[]> = new Map([
  [TOP_KEYS, ['agent_id', 'cases']],
  [CASE_KEYS, ['name', 'tool', 'expect']],
  [EXPECT_KEYS, ['effect']],
  [DELEGATION_KEYS, ['by']],
]);
const EFFECTS = ['permit', 'defer', 'deny'];
/** Words other policy tools use for an effect, so `alow` or `block` get the FPL word. */
const EFFECT_WORDS: ReadonlyMap<string, string> = new Map([
  ['permit', 'permit'],
  ['defer', 'defer'],
  ['deny', 'deny'],
  ['allow', 'permit'],
  ['block', 'deny'],
  ['reject', 'deny'],
  ['forbid', 'deny'],
  ['ask', 'defer'],
]);

function effectGuess(x: string): string | undefined {
  const low = x.toLowerCase();
  const hit = EFFECT_WORDS.get(low) ?? EFFECT_WORDS.get(didYouMean(low, EFFECT_WORDS.keys()) ?? '');
  return hit === undefined ? undefined : x === x.toUpperCase() && x !== low ? hit.toUpperCase() : hit;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed fixture against the fixture schema: unknown keys (with a
 * did-you-mean), missing required keys, wrong types, an unknown effect, a
 * `time` that is neither ms nor an ISO 8601 date. Every problem has the offset
 * of the offending key or value.
 */
export function validateFixture(p: PositionedJson): FixtureProblem[] {
  const out: FixtureProblem[] = [];
  const at = (path: string, key = false): number => {
    const s = p.spans.get(path);
    return s ? (key && s.keyStart !== undefined ? s.keyStart : s.start) : 0;
  };
  const obj = (v: unknown, path: string, keys: ReadonlyMap<string, Kind>, what: string): void => {
    if (!isObj(v)) {
      out.push({ offset: at(path), message: `${what} must be an object` });
      return;
    }
    const guessed = new Set<string>();
    for (const k of Object.keys(v)) {
      const kp = `${path}/${ptr(k)}`;
      const kind = keys.get(k);
      if (kind === undefined) {
        const guess = didYouMean(k, keys.keys());
        if (guess) guessed.add(guess);
        out.push({ offset: at(kp, true), message: `unknown key \`${k}\` in ${what}${guess ? `; did you mean \`${guess}\`?` : ''} (allowed: ${[...keys.keys()].join(', ')})` });
        continue;
      }
      const x = v[k];
      const bad = (want: string): void => void out.push({ offset: at(kp), message: `\`${k}\` in ${what} must be ${want}` });
      if (kind === 'string' && typeof x !== 'string') bad('a string');
      else if (kind === 'number' && (typeof x !== 'number' || !Number.isFinite(x))) bad('a number');
      else if (kind === 'object' && !isObj(x)) bad('an object');
      else if (kind === 'array' && !Array.isArray(x)) bad('an array');
      else if (kind === 'number-or-string') {
        const ms = typeof x === 'number' ? x : typeof x === 'string' ? (/^\d+$/.test(x) ? Number(x) : Date.parse(x)) : NaN;
        if (!Number.isFinite(ms)) bad('ms since the epoch or an ISO 8601 date such as "2026-03-02T09:00:00Z"');
      } else if (kind === 'effect') {
        if (typeof x !== 'string' || !(EFFECTS.includes(x) || (EFFECTS.includes(x.toLowerCase()) && x === x.toUpperCase()))) {
          const guess = typeof x === 'string' ? effectGuess(x) : undefined;
          out.push({ offset: at(kp), message: `\`effect\` must be permit, defer or deny${typeof x === 'string' ? `, not \`${x}\`` : ''}${guess ? `; did you mean \`${guess}\`?` : ''}` });
        }
      }
    }
    // no cascade: a misspelt required key is reported once, as the misspelling
    for (const r of REQUIRED.get(keys) ?? []) if (!(r in v) && !guessed.has(r)) out.push({ offset: at(path), message: `${what} needs \`${r}\`` });
  };
  obj(p.value, '', TOP_KEYS, 'the fixture');
  const v = p.value;
  if (isObj(v) && Array.isArray(v.cases)) {
    v.cases.forEach((c, n) => {
      const cp = `/cases/${n}`;
      const label = `case ${n + 1}${isObj(c) && typeof c.name === 'string' ? ` (\`${c.name.slice(0, 80)}\`)` : ''}`;
      obj(c, cp, CASE_KEYS, label);
      if (isObj(c) && isObj(c.expect)) obj(c.expect, `${cp}/expect`, EXPECT_KEYS, `the expect of ${label}`);
      if (isObj(c) && isObj(c.delegation)) obj(c.delegation, `${cp}/delegation`, DELEGATION_KEYS, `the delegation of ${label}`);
    });
  }
  return out.sort((a, b) => a.offset - b.offset);
}

/** 1-based line and column of an offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) {
    line++;
    last = i;
  }
  return { line, col: offset - last };
}

/**
 * `--update`: replaces only the given values (by JSON pointer) in the text,
 * leaving every other byte (layout, key order, comments-free JSON) as it was.
 */
export function spliceValues(text: string, spans: Map<string, JsonSpan>, updates: Map<string, unknown>): string {
  const edits = [...updates].map(([path, v]) => {
    const s = spans.get(path);
    if (!s) throw new Error(`no value at ${path}`);
    return { s, text: JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ') };
  });
  edits.sort((a, b) => b.s.start - a.s.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.s.start) + e.text + out.slice(e.s.end);
  return out;
}
