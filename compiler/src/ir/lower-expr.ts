import { RE2JS } from 're2js';
import { safeRegExpSource } from '@fms/runtime';
import type { DiagnosticSink } from '../diagnostics/diagnostic';
import type { ExprNode, ValueNode } from '../syntax/ast';
import { didYouMean, didYouMeanHelp, typoSuspect } from '../util/did-you-mean';
import { durationSeconds, parseDurationString, sizeBytes } from './schema';
import { table } from '../util/table';
import type { BuiltinFn, Expr, Span, Value, ValueType, VarRoot } from './types';

/** What a condition can see besides the built-in roots. */
export interface ExprScope {
  vars: Record<string, Value>;
  selectors: Set<string>;
  /** Vars whose value came from an unset `env()` (var → variable name): they lower to unknown constants. */
  unset?: ReadonlyMap<string, string>;
}

const ROOT_TYPES = table<{ root: VarRoot; path: string[]; type: ValueType }>({
  tool: { root: 'tool', path: [], type: 'string' },
  tool_name: { root: 'tool', path: [], type: 'string' },
  agent: { root: 'agent', path: [], type: 'string' },
  model: { root: 'model', path: [], type: 'string' },
  host: { root: 'host', path: [], type: 'string' },
  method: { root: 'method', path: [], type: 'string' },
  path: { root: 'path', path: [], type: 'string' },
  amount: { root: 'args', path: ['amount'], type: 'any' },
  cmd: { root: 'args', path: ['cmd'], type: 'any' },
  recipients: { root: 'recipients', path: [], type: 'number' },
});

const TIME_FIELDS = table<[number, number]>({
  hour: [0, 23],
  minute: [0, 59],
  weekday: [1, 7], // ISO: 1 = Monday … 7 = Sunday
  day: [1, 31],
  month: [1, 12],
});

/** Every name a condition knows without `args.` — for did-you-mean. */
const KNOWN_NAMES = [
  ...Object.keys(ROOT_TYPES),
  'args',
  'principal',
  'time',
  'session',
  'query',
  'headers',
  ...Object.keys(TIME_FIELDS).map((f) => `time.${f}`),
  'principal.groups',
  'principal.id',
  'principal.role',
];

interface FnSig {
  fn: BuiltinFn;
  min: number;
  max: number;
  type: ValueType;
  args: ValueType[];
}

const FUNCTIONS = table<FnSig>({
  history_contains_within: { fn: 'history_contains_within', min: 2, max: 2, type: 'bool', args: ['string', 'number'] },
  history_sequence: { fn: 'history_sequence', min: 2, max: 16, type: 'bool', args: ['string'] },
  history_tool_count: { fn: 'history_tool_count', min: 1, max: 2, type: 'number', args: ['string', 'number'] },
  deny_count_within: { fn: 'deny_count_within', min: 1, max: 1, type: 'number', args: ['number'] },
  args_array_len: { fn: 'args_array_len', min: 1, max: 1, type: 'number', args: ['string'] },
  args_array_contains: { fn: 'args_array_contains', min: 2, max: 2, type: 'bool', args: ['string', 'any'] },
  args_array_any_match: { fn: 'args_array_any_match', min: 2, max: 2, type: 'bool', args: ['string', 'string'] },
  purpose: { fn: 'purpose', min: 1, max: 1, type: 'bool', args: ['string'] },
  len: { fn: 'len', min: 1, max: 1, type: 'number', args: ['any'] },
});

export const FUNCTION_NAMES = [...Object.keys(FUNCTIONS), 'session.sum', 'session.count'];

/** Converts a literal AST value to a run-time value (money → USD, durations → seconds, sizes → bytes). */
export function literalValue(v: ValueNode): Value | undefined {
  switch (v.kind) {
    case 'string':
      return v.value;
    case 'number': {
      if (v.unit === undefined) return v.value;
      return durationSeconds(v.value, v.unit) ?? sizeBytes(v.value, v.unit) ?? v.value;
    }
    case 'money':
      return v.value;
    case 'bool':
      return v.value;
    case 'nil':
      return null;
    case 'word':
      return v.text;
    case 'key':
      return v.raw;
    case 'list': {
      const out: Value[] = [];
      for (const i of v.items) {
        const x = literalValue(i);
        if (x !== undefined) out.push(x);
      }
      return out;
    }
    case 'call':
      return undefined;
  }
}

function typeOf(v: Value): ValueType {
  if (v === null) return 'nil';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  return 'any';
}

const isNumeric = (t: ValueType) => t === 'number' || t === 'any';
const isStringy = (t: ValueType) => t === 'string' || t === 'any';

/**
 * Lowers and type-checks a condition. Reports FMS2016 (unknown function or
 * arity), FMS2017 (type errors), FMS2018 (bad regex), FMS2019 (bare name read
 * as `args.<name>`) and FMS2013 (never true).
 */
export class ExprLowerer {
  constructor(
    private readonly sink: DiagnosticSink,
    private readonly scope: ExprScope,
  ) {}

  /** The unset environment variable a `var` of this scope was read from (`check --allow-unset-env`), if any. */
  unsetVar(name: string): string | undefined {
    return Object.hasOwn(this.scope.vars, name) ? this.scope.unset?.get(name) : undefined;
  }

  lower(e: ExprNode): Expr {
    const out = this.expr(e);
    this.checkNeverTrue(out, e.span);
    return out;
  }

  private err(code: string, message: string, span: Span, help?: string, severity: 'error' | 'warning' | 'info' = 'error') {
    const d: Parameters<DiagnosticSink['accept']>[0] = { code, severity, message, span };
    if (help) d.help = help;
    this.sink.accept(d);
  }

  private expr(e: ExprNode): Expr {
    switch (e.kind) {
      case 'or':
      case 'and': {
        const l = this.expr(e.l);
        const r = this.expr(e.r);
        return { k: e.kind, l, r, type: 'bool', span: e.span };
      }
      case 'not':
        return { k: 'not', e: this.expr(e.e), type: 'bool', span: e.span };
      case 'paren':
        return this.expr(e.e);
      case 'lit': {
        const v = literalValue(e.value) ?? null;
        return { k: 'lit', value: v, type: typeOf(v), span: e.span };
      }
      case 'list':
        return { k: 'list', items: e.items.map((i) => this.expr(i)), type: 'list', span: e.span };
      case 'name':
        return this.name(e.path, e.span);
      case 'call':
        return this.call(e);
      case 'compare':
        return this.compare(e);
      case 'error':
        return { k: 'lit', value: null, type: 'nil', span: e.span };
    }
  }

  private name(path: string, span: Span): Expr {
    const parts = path.split('.');
    const head = parts[0]!;
    if (parts.length === 1 && Object.hasOwn(this.scope.vars, head)) {
      const unsetEnv = this.scope.unset?.get(head);
      if (unsetEnv !== undefined) return { k: 'lit', value: null, type: 'any', span, unsetEnv };
      const v = this.scope.vars[head]!;
      return { k: 'lit', value: v, type: typeOf(v), span };
    }
    if (parts.length === 1 && this.scope.selectors.has(head)) return { k: 'var', root: 'selector', path: [head], type: 'any', span };
    if (parts.length === 1 && ROOT_TYPES[head]) {
      const r = ROOT_TYPES[head]!;
      return { k: 'var', root: r.root, path: [...r.path], type: r.type, span };
    }
    switch (head) {
      case 'args':
        return { k: 'var', root: 'args', path: parts.slice(1), type: 'any', span };
      case 'principal':
        return { k: 'var', root: 'principal', path: parts.slice(1), type: parts[1] === 'groups' && parts.length === 2 ? 'list' : 'any', span };
      case 'session':
        return { k: 'var', root: 'session', path: parts.slice(1), type: 'any', span };
      case 'time': {
        const f = parts[1] ?? '';
        if (parts.length !== 2 || !(f in TIME_FIELDS)) {
          const guess = didYouMean(f, Object.keys(TIME_FIELDS));
          this.err('FMS2016', `unknown time field \`${path}\``, span, `time has ${Object.keys(TIME_FIELDS).map((x) => `\`time.${x}\``).join(', ')}${guess ? `; did you mean \`time.${guess}\`?` : ''}`);
        }
        return { k: 'var', root: 'time', path: [f], type: 'number', span };
      }
      case 'query':
        if (parts.length >= 2) return { k: 'var', root: 'query', path: [parts.slice(1).join('.')], type: 'string', span };
        break;
      case 'headers':
      case 'header':
        if (parts.length >= 2) return { k: 'var', root: 'headers', path: [parts.slice(1).join('.').toLowerCase()], type: 'string', span };
        break;
      case 'selector':
        if (parts.length >= 2) return { k: 'var', root: 'selector', path: parts.slice(1), type: 'any', span };
        break;
    }
    // A bare name reads args.<name>.
    const guess = didYouMean(path, [...KNOWN_NAMES, ...Object.keys(this.scope.vars), ...this.scope.selectors], 1);
    if (guess !== undefined && typoSuspect(path, guess)) {
      // A likely misspelling of a name the condition knows: the condition would read a different argument.
      this.err('FMS2100', `\`${path}\` looks like a misspelling of \`${guess}\`: it is read as \`args.${path}\``, span, `${didYouMeanHelp(guess)} Write \`args.${path}\` if that argument is meant`, 'warning');
      return { k: 'var', root: 'args', path: parts, type: 'any', span };
    }
    this.err(
      'FMS2019',
      `\`${path}\` is read as \`args.${path}\``,
      span,
      guess ? `did you mean \`${guess}\`? Write \`args.${path}\` to silence this note` : `write \`args.${path}\` to make that explicit`,
      'info',
    );
    return { k: 'var', root: 'args', path: parts, type: 'any', span };
  }

  private call(e: Extract<ExprNode, { kind: 'call' }>): Expr {
    const callee = e.callee;
    const span = e.span;
    // Method forms: x.starts_with(y), x.ends_with(y), x.contains(y).
    const m = /^(.+)\.(starts_with|startsWith|ends_with|endsWith|contains)$/.exec(callee);
    if (m && m[1] !== 'session') {
      const op = m[2]!.startsWith('starts') ? 'startsWith' : m[2]!.startsWith('ends') ? 'endsWith' : 'contains';
      if (e.args.length !== 1) this.err('FMS2016', `\`.${m[2]}()\` takes one argument, got ${e.args.length}`, span);
      const l = this.name(m[1]!, { start: span.start, end: span.start + m[1]!.length });
      const r = e.args[0] ? this.expr(e.args[0].value) : ({ k: 'lit', value: '', type: 'string', span } as Expr);
      if (op !== 'contains') this.needString(l, `\`.${m[2]}()\``);
      return { k: 'strop', op, l, r, type: 'bool', span };
    }
    if (callee === 'session.sum' || callee === 'session.count') return this.sessionAgg(e);
    const sig = FUNCTIONS[callee];
    if (!sig) {
      const guess = didYouMean(callee, FUNCTION_NAMES);
      this.err('FMS2016', `unknown function \`${callee}\``, span, guess ? `did you mean \`${guess}\`?` : `known functions: ${FUNCTION_NAMES.join(', ')}`);
      return { k: 'lit', value: null, type: 'nil', span };
    }
    if (e.args.length < sig.min || e.args.length > sig.max) {
      const want = sig.min === sig.max ? `${sig.min}` : sig.max >= 16 ? `at least ${sig.min}` : `${sig.min} to ${sig.max}`;
      this.err('FMS2016', `\`${callee}\` takes ${want} argument${sig.min === 1 && sig.max === 1 ? '' : 's'}, got ${e.args.length}`, span);
    }
    const args = e.args.map((a, i) => {
      const x = this.expr(a.value);
      const want = sig.args[Math.min(i, sig.args.length - 1)]!;
      if (want === 'number' && !isNumeric(x.type) && x.type !== 'nil') this.err('FMS2017', `argument ${i + 1} of \`${callee}\` must be a number (seconds), found ${x.type}`, a.value.span);
      if (want === 'string' && !isStringy(x.type) && x.type !== 'nil') this.err('FMS2017', `argument ${i + 1} of \`${callee}\` must be a string, found ${x.type}`, a.value.span);
      return x;
    });
    if (sig.fn === 'args_array_any_match' && args[1]?.k === 'lit' && typeof args[1].value === 'string') this.checkRegex(args[1].value, e.args[1]!.value.span);
    return { k: 'call', fn: sig.fn, args, type: sig.type, span };
  }

  /** `session.sum(TOOL.field, window=1h)` and `session.count(TOOL, window=1h)`. */
  private sessionAgg(e: Extract<ExprNode, { kind: 'call' }>): Expr {
    const isSum = e.callee === 'session.sum';
    const pos = e.args.filter((a) => a.name === undefined);
    const windowArg = e.args.find((a) => a.name === 'window');
    for (const a of e.args) if (a.name !== undefined && a.name !== 'window') this.err('FMS2016', `\`${e.callee}\` has no argument \`${a.name}\``, a.value.span, 'the only named argument is `window=DURATION`');
    let windowSeconds = 0;
    if (windowArg) {
      const w = windowArg.value;
      const v = w.kind === 'lit' ? w.value : undefined;
      const secs = v?.kind === 'number' ? durationSeconds(v.value, v.unit) : v?.kind === 'string' ? parseDurationString(v.value) : undefined;
      if (secs === undefined || secs <= 0) this.err('FMS2017', '`window` must be a duration such as `1h` or `30m`', w.span);
      else windowSeconds = secs;
    }
    const first = pos[0];
    if (pos.length !== 1 || !first) {
      this.err('FMS2016', `\`${e.callee}\` takes one positional argument (${isSum ? '`TOOL.field`' : '`TOOL`'}), got ${pos.length}`, e.span);
      return { k: 'lit', value: null, type: 'nil', span: e.span };
    }
    let text: string | undefined;
    if (first.value.kind === 'name') text = first.value.path;
    else if (first.value.kind === 'lit' && first.value.value.kind === 'string') text = first.value.value.value;
    if (text === undefined) {
      this.err('FMS2017', `the first argument of \`${e.callee}\` must be a tool${isSum ? ' and a field, like `stripe/refund.amount`' : ''}`, first.value.span);
      return { k: 'lit', value: null, type: 'nil', span: e.span };
    }
    const span = e.span;
    const win: Expr = { k: 'lit', value: windowSeconds, type: 'number', span };
    if (isSum) {
      const dot = text.lastIndexOf('.');
      if (dot <= 0 || dot === text.length - 1) {
        this.err('FMS2017', `\`session.sum\` needs \`TOOL.field\`, like \`stripe/refund.amount\`; got \`${text}\``, first.value.span);
        return { k: 'lit', value: null, type: 'nil', span };
      }
      return {
        k: 'call',
        fn: 'session_sum',
        args: [
          { k: 'lit', value: text.slice(0, dot), type: 'string', span },
          { k: 'lit', value: text.slice(dot + 1), type: 'string', span },
          win,
        ],
        type: 'number',
        span,
      };
    }
    return { k: 'call', fn: 'session_count', args: [{ k: 'lit', value: text, type: 'string', span }, win], type: 'number', span };
  }

  private compare(e: Extract<ExprNode, { kind: 'compare' }>): Expr {
    const l = this.expr(e.l);
    const span = e.span;
    switch (e.op) {
      case 'matches': {
        const r = e.r;
        if (!(r.kind === 'lit' && r.value.kind === 'string')) {
          this.err('FMS2017', '`matches` needs a regular expression in quotes on its right', r.span);
          return { k: 'lit', value: false, type: 'bool', span };
        }
        this.needString(l, '`matches`');
        this.checkRegex(r.value.value, r.span);
        return { k: 'matches', l, pattern: r.value.value, type: 'bool', span };
      }
      case 'in':
      case 'not in': {
        const r = this.expr(e.r);
        if (r.type !== 'list' && r.type !== 'string' && r.type !== 'any') {
          this.err('FMS2017', `\`${e.op}\` needs a list or a string on its right, found ${r.type}`, e.r.span);
        }
        return { k: 'in', negated: e.op === 'not in', l, r, type: 'bool', span };
      }
      case 'contains':
      case 'startsWith':
      case 'endsWith': {
        const r = this.expr(e.r);
        if (e.op !== 'contains') this.needString(l, `\`${e.spelling}\``);
        if (e.op === 'contains' && l.type !== 'list' && l.type !== 'string' && l.type !== 'any') {
          this.err('FMS2017', `\`contains\` needs a list or a string on its left, found ${l.type}`, e.l.span);
        }
        return { k: 'strop', op: e.op, l, r, type: 'bool', span };
      }
      default: {
        const r = this.expr(e.r);
        const op = e.op;
        if (op === '<' || op === '<=' || op === '>' || op === '>=') {
          for (const [x, n] of [
            [l, e.l],
            [r, e.r],
          ] as const) {
            if (!isNumeric(x.type)) {
              this.err('FMS2017', `\`${op}\` compares numbers or amounts, but this is ${article(x.type)}`, n.span, x.type === 'string' ? 'write the number without quotes, or use `==` to compare strings' : undefined);
            }
          }
        }
        return { k: 'cmp', op, l, r, type: 'bool', span };
      }
    }
  }

  private needString(x: Expr, what: string): void {
    if (!isStringy(x.type) && x.type !== 'nil') {
      this.err('FMS2017', `${what} needs a string on its left, found ${article(x.type)}`, x.span);
    }
  }

  private checkRegex(pattern: string, span: Span): void {
    // A pattern the runtime proves safe is valid RE2 (property-tested): skip the re2js compile.
    if (safeRegExpSource(pattern) !== null) return;
    try {
      RE2JS.compile(pattern);
    } catch (err) {
      let msg = err instanceof Error ? err.message.replace(/^error parsing regexp: /, '') : String(err);
      // RE2 reads `(?<=` / `(?<!` as a broken named group: say what it is.
      if (/\(\?<[=!]/.test(pattern) && /named capture/.test(msg)) msg = 'lookbehind `(?<=…)` / `(?<!…)` is not supported';
      else if (/\(\?[=!]/.test(pattern) && /perl flags|missing argument|invalid or unsupported Perl syntax/.test(msg)) msg = 'lookahead `(?=…)` / `(?!…)` is not supported';
      this.err('FMS2018', `invalid regular expression: ${msg}`, span, 'patterns use RE2 syntax (no backreferences or lookaround); they are matched in linear time');
    }
  }

  // ------------------------------------------------------------ never-true analysis

  private checkNeverTrue(e: Expr, span: Span): void {
    const v = constValue(e);
    if (v === false) {
      this.err('FMS2013', 'this condition can never be true', span, 'the rule it guards never applies', 'warning');
      return;
    }
    const why = contradiction(e);
    if (why) this.err('FMS2013', `this condition can never be true: ${why}`, span, 'the rule it guards never applies', 'warning');
  }
}

function article(t: ValueType): string {
  return t === 'list' ? 'a list' : t === 'nil' ? '`nil`' : t === 'bool' ? 'a bool' : `a ${t}`;
}

/** Folds literal-only expressions; undefined when not constant. */
function constValue(e: Expr): Value | undefined {
  switch (e.k) {
    case 'lit':
      return e.value;
    case 'not': {
      const v = constValue(e.e);
      return typeof v === 'boolean' ? !v : undefined;
    }
    case 'and': {
      const l = constValue(e.l);
      const r = constValue(e.r);
      if (l === false || r === false) return false;
      return l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = constValue(e.l);
      const r = constValue(e.r);
      if (l === true || r === true) return true;
      return l === false && r === false ? false : undefined;
    }
    case 'cmp': {
      const l = constValue(e.l);
      const r = constValue(e.r);
      if (l === undefined || r === undefined) return undefined;
      if (typeof l === 'number' && typeof r === 'number') {
        switch (e.op) {
          case '<': return l < r;
          case '<=': return l <= r;
          case '>': return l > r;
          case '>=': return l >= r;
          case '==': return l === r;
          case '!=': return l !== r;
        }
      }
      if (e.op === '==' && typeof l !== 'object' && typeof r !== 'object') return l === r;
      return undefined;
    }
    default:
      return undefined;
  }
}

interface Interval {
  lo: number;
  hi: number;
}

/** Finds numeric bounds on one variable that no value satisfies (`x > 5 and x < 3`, `time.hour >= 24`). */
function contradiction(e: Expr): string | undefined {
  const bounds = new Map<string, Interval>();
  const conj: Expr[] = [];
  const flatten = (x: Expr): void => {
    if (x.k === 'and') {
      flatten(x.l);
      flatten(x.r);
    } else conj.push(x);
  };
  flatten(e);
  for (const c of conj) {
    if (c.k !== 'cmp') continue;
    let v: Expr = c.l;
    let n: Expr = c.r;
    let op = c.op;
    if (c.l.k === 'lit' && c.r.k === 'var') {
      v = c.r;
      n = c.l;
      op = op === '<' ? '>' : op === '<=' ? '>=' : op === '>' ? '<' : op === '>=' ? '<=' : op;
    }
    if (v.k !== 'var' || n.k !== 'lit' || typeof n.value !== 'number') continue;
    const key = `${v.root}.${v.path.join('.')}`;
    let b = bounds.get(key);
    if (!b) {
      const range = v.root === 'time' ? TIME_FIELDS[v.path[0] ?? ''] : v.root === 'recipients' ? ([0, Infinity] as [number, number]) : undefined;
      b = range ? { lo: range[0], hi: range[1] } : { lo: -Infinity, hi: Infinity };
      bounds.set(key, b);
    }
    const x = n.value;
    const eps = v.root === 'time' || v.root === 'recipients' ? 1 : 1e-9;
    if (op === '<') b.hi = Math.min(b.hi, x - eps);
    else if (op === '<=') b.hi = Math.min(b.hi, x);
    else if (op === '>') b.lo = Math.max(b.lo, x + eps);
    else if (op === '>=') b.lo = Math.max(b.lo, x);
    else if (op === '==') {
      b.lo = Math.max(b.lo, x);
      b.hi = Math.min(b.hi, x);
    } else continue;
    if (b.lo > b.hi) {
      const name = v.root === 'args' ? `args.${v.path.join('.')}` : v.path.length ? `${v.root}.${v.path.join('.')}` : v.root;
      return `no value of \`${name}\` satisfies every bound`;
    }
  }
  return undefined;
}
