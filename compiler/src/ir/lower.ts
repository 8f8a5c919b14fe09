import { DiagnosticSink, LineIndex, type Diagnostic } from '../diagnostics/diagnostic';
import type { BlockNode, Document, FieldNode, Item, RuleNode, ValueNode } from '../syntax/ast';
import { parse } from '../syntax/parse';
import { didYouMean, didYouMeanHelp } from '../util/did-you-mean';
import { checkNotEnforced } from '../check/not-enforced';
import { dict, own } from '../util/table';
import { checkLimits } from '../check/limits';
import { checkRules } from '../check/rules';
import { checkArgTypos } from '../check/arg-typos';
import { decodeBase64Strict } from '@fms/runtime/crypto';
import { ed25519KeyWeakness } from '@fms/runtime/crypto';
import { canonicalHostPattern } from '@fms/runtime/format';
import { lowerEnforcement } from '../check/enforcement';
import { resolveImports, type ImportResolver } from './imports';
import { ExprLowerer, literalValue } from './lower-expr';
import { patternProblem, prefixPattern, rulePattern } from './patterns';
import { checkPins, parseImportRef } from './refs';
import {
  AGENT_BLOCKS,
  AGENT_FIELDS,
  EFFECT_WORDS,
  SCHEMAS,
  SECRET_FIELDS,
  TOP_LEVEL_BLOCKS,
  WINDOWS,
  durationSeconds,
  parseDurationString,
} from './schema';
import type {
  Agent,
  Budget,
  CmpOp,
  ConfigBlock,
  Delegation,
  DelegationScope,
  Effect,
  HostLists,
  Import,
  NetworkMatch,
  Phase,
  Policy,
  Rule,
  SessionLimits,
  SourceLoc,
  Span,
  TrustKey,
  Value,
  Window,
} from './types';

export interface LowerOptions {
  /** Values for `env("NAME")`; the CLI passes `process.env`. */
  env?: Record<string, string | undefined>;
  /** Unset `env()` values become warnings instead of errors (CI without secrets). */
  allowUnsetEnv?: boolean;
  /** Resolves `import` lines (the CLI passes a registry-folder resolver); without it imports are only checked for form. */
  resolveImport?: ImportResolver;
  /** The name rule refs use for this source (default: the file's base name; an imported package passes its ref). */
  sourceName?: string;
  /** Set when lowering an imported package (its ref): `env()` is then an error and the environment is never read. */
  packageRef?: string;
}

/** The id of the agent formed by flat rules in a file with no named agent. */
export const IMPLICIT_AGENT = 'default';

/**
 * Lowers a syntactically valid AST to the IR, reporting every semantic
 * problem (FMS2xxx). Pure: reads nothing but its arguments.
 */
export function lower(doc: Document, text: string, file: string, opts: LowerOptions = {}): { ir: Policy; diagnostics: Diagnostic[] } {
  const l = new Lowerer(doc, text, file, opts);
  const ir = l.run();
  return { ir, diagnostics: l.sink.items };
}

class Lowerer {
  /** Where diagnostics go (swapped only while re-lowering flat rules for an imported agent). */
  sink: DiagnosticSink;
  private readonly lines: LineIndex;
  private readonly ir: Policy;
  private aliases = new Set<string>();

  constructor(
    private readonly doc: Document,
    private readonly text: string,
    private readonly file: string,
    private readonly opts: LowerOptions,
  ) {
    this.sink = new DiagnosticSink(file);
    this.lines = new LineIndex(text);
    this.ir = { irVersion: 1, file: opts.sourceName ?? baseName(file), imports: [], runtime: dict<Value>(), trust: [], blocks: [], agents: [] };
  }

  private loc(span: Span): SourceLoc {
    const p = this.lines.position(span.start);
    return { file: this.ir.file, line: p.line, col: p.col, span };
  }

  private error(code: string, message: string, span: Span, help?: string, related?: { message: string; span: Span }[]) {
    const d: Parameters<DiagnosticSink['accept']>[0] = { code, severity: 'error', message, span };
    if (help) d.help = help;
    if (related) d.related = related.map((r) => ({ ...r, file: this.file }));
    this.sink.accept(d);
  }

  private warn(code: string, message: string, span: Span, help?: string) {
    const d: Parameters<DiagnosticSink['accept']>[0] = { code, severity: 'warning', message, span };
    if (help) d.help = help;
    this.sink.accept(d);
  }

  run(): Policy {
    const agentBlocks: BlockNode[] = [];
    const flatRules: RuleNode[] = [];
    for (const it of this.doc.items) {
      switch (it.kind) {
        case 'import':
          this.importDecl(it);
          break;
        case 'rule':
          flatRules.push(it);
          break;
        case 'manifest':
          this.manifest(it);
          break;
        case 'block':
          this.topBlock(it, agentBlocks);
          break;
        case 'field':
          this.error('FMS2002', `field \`${it.key.text}\` cannot stand at the top level`, it.key.span, 'fields belong inside a block such as `runtime { … }` or `agent "id" { … }`');
          break;
        case 'rate_limit':
        case 'redact':
        case 'var':
          this.error('FMS2028', `\`${it.kind}\` belongs inside an \`agent\` block`, it.span, 'move it into the agent it applies to');
          break;
      }
    }
    checkPins(this.ir, this.sink);
    this.agents(agentBlocks, flatRules);
    if (this.opts.resolveImport && this.ir.imports.length) {
      const lowerArtifact = (text: string, file: string) => {
        const parsed = parse(text, file);
        const errs = parsed.diagnostics.filter((d) => d.severity === 'error');
        if (errs.length) return { ir: this.ir, errors: errs.map((d) => d.message), diagnostics: errs };
        const sub = lower(parsed.ast, text, file, { resolveImport: undefined, sourceName: file, packageRef: file });
        return { ir: sub.ir, errors: sub.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message), diagnostics: sub.diagnostics };
      };
      resolveImports(this.ir, this.opts.resolveImport, this.sink, { lowerArtifact, stackFlatRules: () => this.flatRulesForImportedAgent(flatRules) });
    }
    checkRules(this.ir, this.sink);
    checkArgTypos(this.ir, this.sink);
    checkNotEnforced(this.doc, this.sink);
    checkLimits(this.ir, this.sink);
    return this.ir;
  }

  /**
   * The stack's flat rules lowered for an agent a package adds: with no agent
   * vars (a bare name reads `args.<name>`), diagnostics already reported for
   * the stack's own agents not repeated.
   */
  private flatRulesForImportedAgent(flatRules: RuleNode[]): Rule[] {
    const saved = this.sink;
    this.sink = new DiagnosticSink(this.file);
    try {
      const exprs = new ExprLowerer(this.sink, { vars: {}, selectors: new Set() });
      return flatRules.flatMap((n, i) => this.rule(n, 'flat', exprs, {}, i) ?? []);
    } finally {
      this.sink = saved;
    }
  }

  // ------------------------------------------------------------ top level

  private importDecl(it: Extract<Item, { kind: 'import' }>): void {
    const ref = it.ref.value;
    const parsed = parseImportRef(ref);
    if (!parsed.ok) {
      this.error(parsed.problem.code, parsed.problem.message, it.ref.span, parsed.problem.help);
      return;
    }
    const { version } = parsed.value;
    const target = `${parsed.value.host}/${parsed.value.path}`;
    const slash = target.indexOf('/');
    const imp: Import = {
      ref,
      host: slash > 0 ? target.slice(0, slash) : target,
      path: slash > 0 ? target.slice(slash + 1) : '',
      version,
      loc: this.loc(it.ref.span),
    };
    if (it.widen) imp.widen = true;
    if (it.alias) {
      imp.alias = it.alias.text;
      if (this.aliases.has(it.alias.text)) this.error('FMS2008', `duplicate import alias \`${it.alias.text}\``, it.alias.span);
      this.aliases.add(it.alias.text);
    }
    this.ir.imports.push(imp);
  }

  private manifest(it: Extract<Item, { kind: 'manifest' }>): void {
    const w = it.words.map((v) => (v.kind === 'word' ? v.text : v.kind === 'string' ? v.value : v.kind === 'number' ? v.raw : '?'));
    const ok =
      (w[0] === 'orchestrator' && w.length === 4 && w[2] === 'undeclared' && (w[3] === 'deny' || w[3] === 'defer')) ||
      (w[0] === 'grant' && (w.length === 6 || w.length === 7) && w[2] === 'to' && w[4] === 'max' && /^[0-9]+$/.test(w[5]!) && (w.length === 6 || w[6] === 'approval'));
    if (!ok) {
      this.error('FMS2032', `malformed manifest line \`manifest ${w.join(' ')}\``, it.span, 'write `manifest orchestrator ID undeclared deny|defer` or `manifest grant ID to ID max N [approval]`');
      return;
    }
    const fields: Record<string, Value> = Object.assign(
      dict<Value>(),
      w[0] === 'orchestrator'
        ? { kind: 'orchestrator', id: w[1]!, undeclared: w[3]! }
        : { kind: 'grant', from: w[1]!, to: w[3]!, max: Number(w[5]), approval: w.length === 7 },
    );
    this.ir.blocks.push({ kind: 'manifest', fields, loc: this.loc(it.span) });
  }

  private topBlock(b: BlockNode, agents: BlockNode[]): void {
    const kw = b.keyword.text;
    switch (kw) {
      case 'agent':
        agents.push(b);
        return;
      case 'pack':
        this.config(b, 'pack', (x) => {
          if (x.kind === 'block' && x.keyword.text === 'agent') {
            agents.push(x);
            return true;
          }
          return false;
        });
        return;
      case 'runtime': {
        const c = this.config(b, 'runtime');
        Object.assign(this.ir.runtime, c.fields);
        return;
      }
      case 'trust':
        this.trust(b);
        return;
      case 'provider':
      case 'identity':
      case 'system': {
        const c = this.config(b, kw);
        this.ir.blocks.push(c);
        return;
      }
      default: {
        if (AGENT_BLOCKS.includes(kw)) {
          this.error('FMS2028', `\`${kw}\` belongs inside an \`agent\` block`, b.keyword.span, `wrap it: \`agent "my-agent" { ${kw} … }\``);
          return;
        }
        const guess = didYouMean(kw, TOP_LEVEL_BLOCKS);
        this.error('FMS2001', `unknown block \`${kw}\``, b.keyword.span, guess ? `did you mean \`${guess}\`?` : `top-level blocks are ${TOP_LEVEL_BLOCKS.map((x) => `\`${x}\``).join(', ')}`);
      }
    }
  }

  private trust(b: BlockNode): void {
    for (const it of b.items) {
      if (it.kind !== 'field') {
        this.error('FMS2001', 'only `key "scope" ed25519:BASE64` lines belong in `trust {}`', it.span);
        continue;
      }
      if (it.key.text === 'key') {
        const [scope, key] = it.values;
        const scopeText = scope && (scope.kind === 'string' ? scope.value : scope.kind === 'word' ? scope.text : undefined);
        let algorithm: string | undefined;
        let data: string | undefined;
        if (key?.kind === 'key') {
          algorithm = key.algorithm === 'p256' ? 'ecdsa-p256' : key.algorithm;
          data = key.data;
        } else if (key?.kind === 'string') {
          algorithm = 'ed25519';
          data = key.value;
        }
        if (scopeText === undefined || data === undefined || it.values.length !== 2) {
          this.error('FMS2027', 'a trust key line is `key "SCOPE" ed25519:BASE64`', it.span);
          continue;
        }
        const raw = decodeBase64Strict(data);
        if (algorithm === 'ed25519' && raw?.length !== 32) {
          this.error('FMS2027', `trust key for \`${scopeText}\` is not a 32-byte base64 Ed25519 public key`, key!.span, 'paste the key as printed by the publisher: `ed25519:` followed by 44 base64 characters');
          continue;
        }
        const weak = algorithm === 'ed25519' ? ed25519KeyWeakness(raw!) : undefined;
        if (weak) {
          // Still pinned (below): an import under this scope then fails to verify instead of going unsigned.
          this.error('FMS2080', `trust key for \`${scopeText}\` is weak: ${weak}`, key!.span, 'pin the publisher\'s real key (`fmsc pubkey`); a small-order or non-canonical key would let anyone sign');
        }
        const tk: TrustKey = { scope: scopeText, algorithm: algorithm!, key: data, loc: this.loc(it.span) };
        this.ir.trust.push(tk);
      } else if (it.key.text === 'spiffe_federated' || it.key.text === 'bundle_url') {
        const fields = dict<Value>();
        fields[it.key.text] = this.fieldValue(it) ?? null;
        this.ir.blocks.push({ kind: 'trust', fields, loc: this.loc(it.span) });
      } else {
        this.unknownField('trust', it);
      }
    }
  }

  /** Lowers a block with a schema into a ConfigBlock; `claim` lets a caller take items it handles itself. */
  private config(b: BlockNode, kind: string, claim?: (it: Item) => boolean): ConfigBlock {
    const schema = own(SCHEMAS, kind);
    const fields = dict<Value>();
    const seen = new Map<string, Span>();
    for (const it of b.items) {
      if (claim && claim(it)) continue;
      if (it.kind !== 'field') {
        if (kind === 'completion_gate' || !claim) {
          this.error('FMS2001', `${describeItem(it)} does not belong in \`${kind}\``, it.span);
        }
        continue;
      }
      const name = it.key.text;
      if (schema && !schema.open && !Object.hasOwn(schema.fields, name)) {
        this.unknownField(kind, it);
        continue;
      }
      const v = this.fieldValue(it);
      if (v === undefined) continue;
      if (kind === 'completion_gate' && name === 'require') {
        const list = (fields.require as Value[] | undefined) ?? [];
        list.push(v);
        fields.require = list;
        continue;
      }
      const prev = seen.get(name);
      if (prev) this.error('FMS2031', `field \`${name}\` is set twice in \`${kind}\``, it.key.span, undefined, [{ message: 'first set here', span: prev }]);
      seen.set(name, it.key.span);
      const kindOf = schema ? own(schema.fields, name) : undefined;
      const enumVals = schema?.enums ? own(schema.enums, name) : undefined;
      if (enumVals && typeof v === 'string' && !enumVals.includes(v)) {
        const guess = didYouMean(v, enumVals);
        this.error('FMS2003', `\`${v}\` is not a valid \`${name}\``, it.values[0]!.span, `expected one of ${enumVals.map((x) => `\`${x}\``).join(', ')}${guess ? `; did you mean \`${guess}\`?` : ''}`);
      }
      fields[name] = kindOf ? this.coerce(kindOf, v, it) : v;
      if ((kind === 'provider' || kind === 'identity') && SECRET_FIELDS.test(name) && it.values[0]?.kind === 'string' && it.values[0].value !== '') {
        this.warn('FMS2014', `\`${name}\` holds a secret written inline in the policy`, it.values[0].span, `read it from the environment instead: \`${name} = env("…")\``);
      }
    }
    const cb: ConfigBlock = { kind, fields, loc: this.loc(b.span) };
    if (b.label) cb.id = b.label.text;
    return cb;
  }

  private unknownField(kind: string, it: FieldNode): void {
    const known = Object.keys(own(SCHEMAS, kind)?.fields ?? {});
    const guess = didYouMean(it.key.text, known);
    this.error('FMS2002', `unknown field \`${it.key.text}\` in \`${kind}\``, it.key.span, guess ? `did you mean \`${guess}\`?` : known.length ? `\`${kind}\` has ${known.map((x) => `\`${x}\``).join(', ')}` : undefined);
  }

  /** Checks a value against a field kind and normalises it (durations → seconds). */
  private coerce(kind: string, v: Value, it: FieldNode): Value {
    const node = it.values[0]!;
    const bad = (what: string, help?: string) => this.error('FMS2027', `\`${it.key.text}\` must be ${what}`, node.span, help);
    switch (kind) {
      case 'number':
        if (typeof v !== 'number') bad('a number');
        return v;
      case 'money':
        if (typeof v !== 'number') {
          // `10usd`, `10 dollars`: the amount FPL spells is `$10`.
          const n = node.kind === 'number' ? node.value : typeof v === 'string' ? /^\s*\$?([0-9]+(?:\.[0-9]+)?)\s*(?:usd|dollars?|\$)?\s*$/i.exec(v)?.[1] : undefined;
          bad('an amount such as `$500`', n !== undefined ? `${didYouMeanHelp(`$${n}`)} amounts are written with \`$\` before the number, in USD` : undefined);
        }
        else if (v < 0) bad('an amount of zero or more');
        return v;
      case 'bool':
        if (typeof v !== 'boolean') bad('`true` or `false`');
        return v;
      case 'list':
        if (!Array.isArray(v)) {
          if (it.values.length > 1) return it.values.map((x) => literalValue(x) ?? null);
          return [v];
        }
        return v;
      case 'duration': {
        if (node.kind === 'number' && node.unit) {
          const s = durationSeconds(node.value, node.unit);
          if (s !== undefined && s < 0) {
            bad('a duration of zero or more');
            return 0;
          }
          if (s !== undefined) return s;
        }
        if (typeof v === 'string') {
          const s = parseDurationString(v);
          if (s !== undefined) return s;
        }
        bad('a duration such as `30s`, `5m` or `24h`', typeof v === 'string' ? durationHelp(v) : node.kind === 'number' && node.unit ? durationHelp(node.raw) : undefined);
        return v;
      }
      case 'string':
        if (typeof v !== 'string') bad('a string');
        return v;
      default:
        return v;
    }
  }

  /** The value of a field (single value, or a list for multi-value fields); resolves `env()`. */
  private fieldValue(it: FieldNode): Value | undefined {
    if (it.values.length > 1) return it.values.map((v) => this.value(v) ?? null);
    const v = it.values[0];
    return v ? this.value(v) : undefined;
  }

  /** The first unset variable an `env()` inside `v` reads (lists included), when unset values are allowed. */
  private unsetEnvIn(v: ValueNode): string | undefined {
    if (v.kind === 'list') {
      for (const x of v.items) {
        const u = this.unsetEnvIn(x);
        if (u !== undefined) return u;
      }
      return undefined;
    }
    if (v.kind !== 'call' || v.name !== 'env' || this.opts.packageRef !== undefined) return undefined;
    const arg = v.args[0];
    return v.args.length === 1 && arg?.kind === 'string' && this.readEnv(arg.value) === undefined ? arg.value : undefined;
  }

  /** An environment variable's value: own string properties only (`env("toString")` is unset, not a function). */
  private readEnv(name: string): string | undefined {
    const env = this.opts.env;
    if (!env || !Object.prototype.hasOwnProperty.call(env, name)) return undefined;
    const v = env[name];
    return typeof v === 'string' ? v : undefined;
  }

  private value(v: ValueNode): Value | undefined {
    if (v.kind === 'call') {
      if (v.name !== 'env') {
        this.error('FMS2016', `unknown function \`${v.name}\` in a value`, v.span, 'the only function in values is `env("NAME")`');
        return undefined;
      }
      const arg = v.args[0];
      if (v.args.length !== 1 || arg?.kind !== 'string') {
        this.error('FMS2016', '`env` takes one quoted variable name: `env("NAME")`', v.span);
        return undefined;
      }
      if (this.opts.packageRef !== undefined) {
        this.error('FMS2081', `package \`${this.opts.packageRef}\` reads \`env("${arg.value}")\`: packages cannot read the build machine's environment`, v.span);
        return '';
      }
      const val = this.readEnv(arg.value);
      if (val === undefined) {
        const msg = `environment variable \`${arg.value}\` is not set`;
        if (this.opts.allowUnsetEnv) {
          this.warn('FMS2020', msg, v.span, 'checked with --allow-unset-env: the value is unknown, so no comparison with it is true; `fmsc build` refuses it');
          const unset = (this.ir.unsetEnv ??= []);
          if (!unset.includes(arg.value)) unset.push(arg.value);
        } else this.error('FMS2020', msg, v.span, 'set it before compiling (`fmsc check --allow-unset-env` checks without secrets; `fmsc build` never packs an unset value)');
        return '';
      }
      return val;
    }
    if (v.kind === 'list') return v.items.map((x) => this.value(x) ?? null);
    if (v.kind === 'string' && (v.value.includes('...') || /<[A-Za-z][\w-]*>/.test(v.value))) {
      this.warn('FMS2033', `\`${v.value.length > 40 ? v.value.slice(0, 40) + '…' : v.value}\` looks like a documentation placeholder`, v.span, 'replace `...` and `<name>` with the real value');
    }
    return literalValue(v);
  }

  // ------------------------------------------------------------ agents

  private agents(blocks: BlockNode[], flatRules: RuleNode[]): void {
    const named = blocks.filter((b) => b.label);
    const unnamed = blocks.filter((b) => !b.label);
    const seen = new Map<string, Span>();
    const agentIds = new Set(named.map((b) => b.label!.text));
    const implicitSettings = flatRules.length > 0 && named.length === 0 && unnamed.length === 1 ? unnamed[0] : undefined;
    for (const b of unnamed) {
      if (b === implicitSettings) continue;
      this.error('FMS2026', 'agent block has no name', b.keyword.span, 'name it: `agent "support-bot" { … }` (an unnamed `agent {}` is only allowed as the settings of the flat rules in a file with no named agents)');
    }
    for (const b of named) {
      const id = b.label!.text;
      const prev = seen.get(id);
      if (prev) {
        this.error('FMS2005', `duplicate agent \`${id}\``, b.label!.span, 'each agent id is declared once; merge the two blocks', [{ message: 'first declared here', span: prev }]);
        continue;
      }
      seen.set(id, b.label!.span);
      this.ir.agents.push(this.agent(id, b, flatRules, false, agentIds));
    }
    if (named.length === 0 && (flatRules.length > 0 || implicitSettings)) {
      const body: BlockNode = implicitSettings ?? {
        kind: 'block',
        keyword: { text: 'agent', quoted: false, raw: 'agent', span: flatRules[0]!.span },
        items: [],
        span: flatRules[0]!.span,
        blankBefore: false,
      };
      this.ir.agents.push(this.agent(IMPLICIT_AGENT, body, flatRules, true, agentIds));
    }
  }

  private agent(id: string, b: BlockNode, flatRules: RuleNode[], implicit: boolean, agentIds: Set<string>): Agent {
    const a: Agent = {
      id,
      implicit,
      default: 'deny',
      defaultDeclared: false,
      vars: dict<Value>(),
      rules: [],
      phases: [],
      rateLimits: [],
      budgets: [],
      redactions: [],
      delegations: [],
      blocks: [],
      loc: this.loc(b.label?.span ?? b.keyword.span),
    };
    // Vars and selectors first: conditions anywhere in the agent may use them.
    const selectors = new Set<string>();
    const varSpans = new Map<string, Span>();
    const unsetVars = new Map<string, string>();
    for (const it of b.items) {
      if (it.kind === 'var') {
        const prev = varSpans.get(it.name.text);
        if (prev) this.error('FMS2008', `duplicate var \`${it.name.text}\``, it.name.span, undefined, [{ message: 'first declared here', span: prev }]);
        varSpans.set(it.name.text, it.name.span);
        a.vars[it.name.text] = this.value(it.value) ?? null;
        const unset = this.unsetEnvIn(it.value);
        if (unset !== undefined) unsetVars.set(it.name.text, unset);
        else unsetVars.delete(it.name.text);
      }
      if (it.kind === 'block' && it.keyword.text === 'selector' && it.label) selectors.add(it.label.text);
    }
    const exprs = new ExprLowerer(this.sink, { vars: a.vars, selectors, unset: unsetVars });
    const ruleNodes: { node: RuleNode; origin: Rule['origin']; phase?: string }[] = [];
    const phaseNodes: BlockNode[] = [];
    const fieldSpans = new Map<string, Span>();
    for (const it of b.items) {
      switch (it.kind) {
        case 'rule':
          ruleNodes.push({ node: it, origin: 'rules' });
          break;
        case 'var':
          break;
        case 'field':
          this.agentField(a, it, fieldSpans);
          break;
        case 'rate_limit': {
          const pat = it.pattern.text;
          const prob = patternProblem(pat);
          if (prob) this.error('FMS2029', prob, it.pattern.span);
          const count = it.count.value;
          if (!Number.isInteger(count) || count <= 0 || it.count.unit) this.error('FMS2027', 'a rate limit allows a whole number of calls greater than 0', it.count.span);
          const w = it.window.text.replace(/s$/, '');
          if (!WINDOWS.includes(w)) {
            const guess = didYouMean(it.window.text, WINDOWS);
            this.error('FMS2003', `\`${it.window.text}\` is not a rate-limit window`, it.window.span, `use ${WINDOWS.map((x) => `\`${x}\``).join(', ')}${guess ? `; did you mean \`${guess}\`?` : ''}`);
          }
          a.rateLimits.push({ pattern: prefixPattern(pat), count, per: (WINDOWS.includes(w) ? w : 'minute') as Window, loc: this.loc(it.span) });
          break;
        }
        case 'redact': {
          const prob = patternProblem(it.tool.text);
          if (prob) this.error('FMS2029', prob, it.tool.span);
          const paths = this.value(it.paths);
          if (!Array.isArray(paths) || paths.some((p) => typeof p !== 'string' || p === '')) {
            this.error('FMS2027', '`redact` takes a list of argument paths: `args: ["card.number", "cvv"]`', it.paths.span);
            break;
          }
          a.redactions.push({ tool: prefixPattern(it.tool.text), paths: paths as string[], loc: this.loc(it.span) });
          break;
        }
        case 'block':
          this.agentBlock(a, it, ruleNodes, phaseNodes, agentIds);
          break;
        case 'import':
        case 'manifest':
          this.error('FMS2028', `\`${it.kind}\` belongs at the top level, not inside an agent`, it.span);
          break;
      }
    }
    // Phases: their rules come after the rules blocks.
    const phaseIds = new Map<string, Span>();
    for (const p of phaseNodes) {
      const pid = p.label?.text;
      if (!pid) {
        this.error('FMS2027', 'a phase needs a name: `phase intake { … }`', p.keyword.span);
        continue;
      }
      if (phaseIds.has(pid)) {
        this.error('FMS2007', `duplicate phase \`${pid}\``, p.label!.span, undefined, [{ message: 'first declared here', span: phaseIds.get(pid)! }]);
        continue;
      }
      phaseIds.set(pid, p.label!.span);
    }
    for (const p of phaseNodes) {
      const pid = p.label?.text;
      if (!pid || a.phases.some((x) => x.id === pid)) continue;
      const phase: Phase = { id: pid, tools: [], loc: this.loc(p.span) };
      for (const it of p.items) {
        if (it.kind === 'rule') ruleNodes.push({ node: it, origin: 'phase', phase: pid });
        else if (it.kind === 'block' && it.keyword.text === 'rules') this.rulesBlock(it, (r) => ruleNodes.push({ node: r, origin: 'phase', phase: pid })); else if (it.kind === 'field') {
          const name = it.key.text;
          if (!Object.hasOwn(SCHEMAS.phase!.fields, name)) {
            this.unknownField('phase', it);
            continue;
          }
          const v = this.fieldValue(it);
          if (name === 'duration') {
            const s = v === undefined ? undefined : this.coerce('duration', v, it);
            if (typeof s === 'number') phase.durationSeconds = s;
          } else if (name === 'next') {
            if (typeof v === 'string') {
              phase.next = v;
              if (!phaseIds.has(v)) {
                const guess = didYouMean(v, phaseIds.keys());
                this.error('FMS2009', `phase \`${pid}\` moves to \`${v}\`, which is not a phase of agent \`${id}\``, it.values[0]!.span, guess ? `did you mean \`${guess}\`?` : `declare \`phase ${v} { … }\``);
              }
            }
          } else if (name === 'tools') {
            const list = Array.isArray(v) ? v : [v];
            for (const t of list) {
              if (typeof t !== 'string') continue;
              // The same patterns as rules: an empty or malformed one is refused here, not by the loader.
              const prob = patternProblem(t);
              if (prob) this.error('FMS2029', prob, it.values[0]!.span);
              else phase.tools.push(rulePattern(t));
            }
          }
        } else this.error('FMS2001', `${describeItem(it)} does not belong in a phase`, it.span);
      }
      a.phases.push(phase);
    }
    // Flat rules apply to every agent after its own rules.
    for (const r of flatRules) ruleNodes.push({ node: r, origin: 'flat' });
    ruleNodes.sort((x, y) => originOrder(x.origin) - originOrder(y.origin));
    for (const { node, origin, phase } of ruleNodes) {
      const r = this.rule(node, origin, exprs, a.vars, a.rules.length);
      if (!r) continue;
      if (phase) {
        r.phase = phase;
        a.phases.find((p) => p.id === phase)?.tools.push(r.tool);
      }
      a.rules.push(r);
    }
    // An invalid `default` already has its error (FMS2003); do not also say it is missing.
    if (!a.defaultDeclared && !implicit && !fieldSpans.has('default')) {
      this.warn('FMS2015', `agent \`${id}\` has no \`default\``, b.label?.span ?? b.keyword.span, 'calls no rule matches are denied; write `default deny` to say so');
    } else if (!a.defaultDeclared && implicit && flatRules.length) {
      this.warn('FMS2015', 'the flat rules of this file have no `default`', flatRules[0]!.span, 'calls no rule matches are denied; add `agent { default deny }` to say so');
    }
    return a;
  }

  private agentField(a: Agent, it: FieldNode, seen: Map<string, Span>): void {
    const name = it.key.text;
    if (!AGENT_FIELDS.includes(name)) {
      const guess = didYouMean(name, [...AGENT_FIELDS, ...AGENT_BLOCKS, 'rate_limit', 'redact', 'var']);
      this.error('FMS2002', `unknown field \`${name}\` in agent \`${a.id}\``, it.key.span, guess ? `did you mean \`${guess}\`?` : `agents have ${AGENT_FIELDS.map((x) => `\`${x}\``).join(', ')} and blocks such as \`rules {}\``);
      return;
    }
    const prev = seen.get(name);
    if (prev) this.error('FMS2031', `field \`${name}\` is set twice in agent \`${a.id}\``, it.key.span, undefined, [{ message: 'first set here', span: prev }]);
    seen.set(name, it.key.span);
    const v = this.fieldValue(it);
    if (name === 'default') {
      const eff = typeof v === 'string' ? own(EFFECT_WORDS, v) : undefined;
      if (!eff) {
        const guess = typeof v === 'string' ? didYouMean(v, ['deny', 'permit', 'defer']) : undefined;
        this.error('FMS2003', `\`${String(v)}\` is not a valid \`default\``, it.values[0]!.span, `expected \`deny\`, \`permit\` or \`defer\`${guess ? `; did you mean \`${guess}\`?` : ''}`);
        return;
      }
      a.default = eff;
      a.defaultDeclared = true;
      a.defaultLoc = this.loc(it.span);
      return;
    }
    if (typeof v !== 'string') {
      this.error('FMS2027', `\`${name}\` must be a string`, it.values[0]!.span);
      return;
    }
    if (name === 'model') a.model = v;
    else if (name === 'framework') a.framework = v;
    else a.version = v;
  }

  private agentBlock(a: Agent, b: BlockNode, rules: { node: RuleNode; origin: Rule['origin']; phase?: string }[], phases: BlockNode[], agentIds: Set<string>): void {
    const kw = b.keyword.text;
    switch (kw) {
      case 'rules':
        this.rulesBlock(b, (r) => rules.push({ node: r, origin: 'rules' }));
        return;
      case 'phase':
        phases.push(b);
        return;
      case 'budget':
        this.budget(a, b);
        return;
      case 'egress':
      case 'model_policy': {
        const c = this.config(b, kw);
        const lists: HostLists = { allow: this.nameList(b, 'allow', kw, a.vars), deny: this.nameList(b, 'deny', kw, a.vars), loc: c.loc };
        if (kw === 'egress') a.egress = lists;
        else a.modelPolicy = lists;
        return;
      }
      case 'delegate': {
        const c = this.config(b, 'delegate');
        const targets: string[] = [];
        // Each target with the span of its name (the label, `target_agent`'s value, each `to` entry).
        const named: { name: string; span: Span }[] = [];
        if (b.label) named.push({ name: b.label.text, span: b.label.span });
        if (typeof c.fields.target_agent === 'string') named.push({ name: c.fields.target_agent, span: this.fieldSpan(b, 'target_agent') });
        const toField = b.items.find((x): x is FieldNode => x.kind === 'field' && x.key.text === 'to');
        const toNodes = toField ? (toField.values.length === 1 && toField.values[0]!.kind === 'list' ? toField.values[0]!.items : toField.values) : [];
        const toNames = strings(c.fields.to);
        toNames.forEach((t, i) => {
          const node = toNodes.find((n, j) => j >= i && literalValue(n) === t);
          named.push({ name: t, span: node?.span ?? this.fieldSpan(b, 'to') });
        });
        for (const n of named) targets.push(n.name);
        const d: Delegation = { targets, fields: c.fields, loc: c.loc };
        this.delegationLimits(d, b);
        for (const { name: t, span } of named) {
          if (!agentIds.has(t)) {
            const guess = didYouMean(t, agentIds);
            this.warn('FMS2010', `agent \`${a.id}\` delegates to \`${t}\`, which is not declared in this stack`, span, guess ? `did you mean \`${guess}\`?` : 'delegation works only to agents the runtime knows; declare it or load the stack that does');
          }
        }
        a.delegations.push(d);
        return;
      }
      case 'session': {
        const c = this.config(b, 'session');
        a.session = this.sessionLimits(c, b);
        a.blocks.push(c);
        return;
      }
      case 'use':
        if (!b.label || !this.aliases.has(b.label.text)) {
          const name = b.label?.text ?? '';
          const guess = didYouMean(name, this.aliases);
          this.error('FMS2025', `\`use ${name}\` names no import alias`, b.label?.span ?? b.keyword.span, guess ? `did you mean \`${guess}\`?` : 'import the package with `import "host/kind/name@1.2.3" as NAME` first');
        }
        if (b.items.length > 0) {
          this.warn(
            'FMS2035',
            `the parameters of \`use ${b.label?.text ?? ''}\` are not applied`,
            b.items[0]!.span,
            'the FPL documentation does not define what `use` parameters do, so this compiler records them without changing the imported rules; write the values into your own rules instead',
          );
        }
        a.blocks.push(this.config(b, 'use'));
        return;
      default: {
        if (!AGENT_BLOCKS.includes(kw)) {
          const guess = didYouMean(kw, AGENT_BLOCKS);
          this.error('FMS2001', `unknown block \`${kw}\` in agent \`${a.id}\``, b.keyword.span, guess ? `did you mean \`${guess}\`?` : `agent blocks are ${AGENT_BLOCKS.map((x) => `\`${x}\``).join(', ')}`);
          return;
        }
        const c = this.config(b, kw);
        a.blocks.push(c);
        if (kw === 'enforcement') {
          const prev = a.blocks.find((x) => x.kind === 'enforcement' && x !== c);
          if (prev) this.error('FMS2031', `agent \`${a.id}\` has two \`enforcement\` blocks`, b.keyword.span, 'merge them into one block', [{ message: 'first declared here', span: prev.loc.span }]);
          else {
            const spec = lowerEnforcement(b, c.fields, this.ir.runtime, this.sink, c.loc);
            if (spec) a.enforcement = spec;
          }
        }
      }
    }
  }

  /**
   * The entries of an `egress` / `model_policy` list field, read from the
   * syntax so that nothing is dropped: every entry is a string (a literal,
   * `env("…")` or a `var` holding a string or a list of strings); anything else
   * is FMS2060, a bare name that is no `var` is FMS2061, and an `egress` entry
   * that is not a host pattern is FMS2062. Egress entries are canonical (lower
   * case, punycode, no trailing dot), as the runtime compares them.
   */
  private nameList(b: BlockNode, field: 'allow' | 'deny', kw: 'egress' | 'model_policy', vars: Record<string, Value>): string[] {
    const out: string[] = [];
    const add = (v: string, span: Span): void => {
      if (kw === 'model_policy') {
        if (v === '') this.error('FMS2060', `an empty string in \`${kw}\` \`${field}\` names no model`, span);
        else out.push(v);
        return;
      }
      const c = canonicalHostPattern(v);
      if (typeof c === 'string') out.push(c);
      else this.error('FMS2062', `\`${v}\` is not a host pattern: ${c.why}`, span, 'write `api.example.com`, `*.example.com`, `*`, `10.0.0.1` or `[::1]`');
    };
    const item = (n: ValueNode): void => {
      if (n.kind === 'string' || n.kind === 'call') {
        const v = this.value(n);
        if (typeof v === 'string') add(v, n.span);
        else if (v !== undefined) this.error('FMS2060', `\`${kw}\` \`${field}\` entries are strings`, n.span);
        return;
      }
      if (n.kind === 'word') {
        if (!Object.prototype.hasOwnProperty.call(vars, n.text)) {
          this.error('FMS2061', `\`${n.text}\` in \`${kw}\` \`${field}\` is not a \`var\` of this agent`, n.span, `quote it (\`"${n.text}"\`) or declare \`var ${n.text} = "…"\``);
          return;
        }
        const v = vars[n.text];
        const list = Array.isArray(v) ? v : [v];
        for (const x of list) {
          if (typeof x === 'string') add(x, n.span);
          else this.error('FMS2060', `\`var ${n.text}\` holds ${x === null ? 'nil' : Array.isArray(x) ? 'a nested list' : `a ${typeof x}`}, not a string, so it cannot be a \`${kw}\` \`${field}\` entry`, n.span);
        }
        return;
      }
      this.error('FMS2060', `\`${kw}\` \`${field}\` entries are strings, not ${n.kind === 'list' ? 'a nested list' : `a ${n.kind}`}`, n.span, kw === 'egress' ? 'write hosts in quotes: `["api.example.com"]`' : 'write model names in quotes: `["gpt-4o"]`');
    };
    for (const it of b.items) {
      if (it.kind !== 'field' || it.key.text !== field) continue;
      const nodes = it.values.length === 1 && it.values[0]!.kind === 'list' ? it.values[0]!.items : it.values;
      for (const n of nodes) item(n);
    }
    return out;
  }

  /** The value span of field `name` in block `b` (for messages), else the block keyword. */
  private fieldSpan(b: BlockNode, name: string): Span {
    const f = b.items.find((x) => x.kind === 'field' && x.key.text === name) as FieldNode | undefined;
    return f?.values[0]?.span ?? b.keyword.span;
  }

  /** `session {}` limits: numbers checked here, enforced by the runtime (SESSION_LIMIT). */
  private sessionLimits(c: ConfigBlock, b: BlockNode): SessionLimits {
    const s: SessionLimits = { loc: c.loc };
    const f = c.fields;
    const positive = (name: string, v: Value | undefined, whole: boolean): number | undefined => {
      if (typeof v !== 'number') return undefined;
      if (!Number.isFinite(v) || v <= 0 || (whole && !Number.isInteger(v))) {
        this.error('FMS2027', `\`${name}\` must be ${whole ? 'a whole number' : 'a value'} greater than 0`, this.fieldSpan(b, name));
        return undefined;
      }
      return v;
    };
    const dur = positive('max_duration', f.max_duration, false);
    if (dur !== undefined) s.maxDurationSeconds = dur;
    const idle = positive('idle_timeout', f.idle_timeout, false);
    if (idle !== undefined) s.idleTimeoutSeconds = idle;
    const calls = positive('max_calls', f.max_calls, true);
    if (calls !== undefined) s.maxCalls = calls;
    if (typeof f.max_cost === 'number') {
      if (!Number.isFinite(f.max_cost) || f.max_cost < 0) this.error('FMS2027', '`max_cost` must be an amount of 0 or more', this.fieldSpan(b, 'max_cost'));
      else s.maxCost = f.max_cost;
    }
    return s;
  }

  /**
   * The enforceable parts of a `delegate` block: `scope` (a tool pattern with
   * an optional `:FIELD OP NUMBER` bound), `ttl`, `ceiling`, `max_depth`.
   * A scope in another form is left unset (the not-enforced check warns).
   */
  private delegationLimits(d: Delegation, b: BlockNode): void {
    const f = d.fields;
    if (typeof f.scope === 'string') {
      const m = /^\s*([^\s:]+)\s*(?::\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\s*(<=|>=|==|!=|<|>)\s*\$?(-?[0-9]+(?:\.[0-9]+)?)\s*)?$/.exec(f.scope);
      if (m && (m[1]!.includes('/') || m[1]!.includes('*') || m[2] !== undefined) && patternProblem(m[1]!) === undefined) {
        const scope: DelegationScope = { tool: rulePattern(m[1]!), text: f.scope };
        if (m[2] !== undefined) {
          const segs = m[2].split('.');
          if (segs[0] === 'args' && segs.length > 1) segs.shift();
          scope.bound = { path: segs, op: m[3] as CmpOp, value: Number(m[4]) };
        }
        d.scope = scope;
      } else {
        this.warn(
          'FMS2063',
          `delegation scope \`${f.scope}\` is not enforced by this toolchain`,
          this.fieldSpan(b, 'scope'),
          'an enforced scope is a tool pattern with `/` or `*`, optionally with one numeric bound: `"stripe/refund:amount<=500"`, `"search/*"`; remove it, or enforce it outside fms (`--strict` makes this an error)',
        );
      }
    }
    if (typeof f.ttl === 'number') {
      if (!(f.ttl > 0) || !Number.isFinite(f.ttl)) this.error('FMS2027', '`ttl` must be a duration greater than 0', this.fieldSpan(b, 'ttl'));
      else d.ttlSeconds = f.ttl;
    }
    if (f.ceiling !== undefined) {
      const c = f.ceiling;
      if (c === 'permit' || c === 'defer' || c === 'deny' || c === 'inherited') d.ceiling = c;
      else {
        const guess = typeof c === 'string' ? didYouMean(c, ['permit', 'defer', 'deny', 'inherited']) : undefined;
        this.error('FMS2064', `\`${String(c)}\` is not a delegation \`ceiling\``, this.fieldSpan(b, 'ceiling'), `expected \`inherited\`, \`permit\`, \`defer\` or \`deny\`${guess ? `; did you mean \`${guess}\`?` : ''}`);
      }
    }
    if (f.max_depth !== undefined) {
      const v = f.max_depth;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1024) this.error('FMS2027', '`max_depth` must be a whole number from 1 to 1024', this.fieldSpan(b, 'max_depth'));
      else d.maxDepth = v;
    }
  }

  /** The rules of a `rules {}` block (in an agent or a phase); anything else in it is an error. */
  private rulesBlock(b: BlockNode, push: (r: RuleNode) => void): void {
    if (b.label) this.error('FMS2027', '`rules` takes no name', b.label.span);
    for (const it of b.items) {
      if (it.kind === 'rule') push(it);
      else {
        // A misspelt or capitalised effect (`permitt x`, `Deny y`) parses as a field: suggest the effect.
        const word = it.kind === 'field' ? it.key.text : undefined;
        const effects = [...Object.keys(EFFECT_WORDS), 'deny!'];
        const guess = word === undefined ? undefined : effects.includes(word.toLowerCase()) ? word.toLowerCase() : didYouMean(word.toLowerCase(), effects);
        const help = guess ? `did you mean \`${guess}\`? a rule starts with an effect (${['permit', 'defer', 'deny', 'deny!'].map((e) => `\`${e}\``).join(', ')}), in lower case` : undefined;
        this.error('FMS2001', `only rules belong in \`rules {}\`, not ${describeItem(it)}`, it.kind === 'field' ? it.key.span : it.span, help);
      }
    }
  }

  private budget(a: Agent, b: BlockNode): void {
    const c = this.config(b, 'budget');
    const id = b.label?.text ?? (typeof c.fields.id === 'string' ? c.fields.id : undefined);
    if (!id) {
      this.error('FMS2027', 'a budget needs an id: `budget daily { … }` or `id = "daily"`', b.keyword.span);
      return;
    }
    if (a.budgets.some((x) => x.id === id)) {
      this.error('FMS2006', `duplicate budget \`${id}\` in agent \`${a.id}\``, b.label?.span ?? b.keyword.span, 'each budget id is its own window; give the second one another id');
      return;
    }
    const budget: Budget = {
      id,
      window: id === 'session' ? 'session' : 'daily',
      onExceed: (['deny', 'defer', 'audit'].includes(c.fields.on_exceed as string) ? c.fields.on_exceed : 'deny') as Budget['onExceed'],
      loc: c.loc,
    };
    const max = c.fields.max ?? c.fields.usd;
    if (typeof max === 'number') budget.max = max;
    if (typeof c.fields.daily === 'number') budget.daily = c.fields.daily;
    if (typeof c.fields.max_calls === 'number') {
      if (!Number.isInteger(c.fields.max_calls) || c.fields.max_calls < 0) this.error('FMS2027', '`max_calls` must be a whole number', b.span);
      budget.maxCalls = c.fields.max_calls;
    }
    if (typeof c.fields.warn_at === 'number') {
      if (c.fields.warn_at < 0 || c.fields.warn_at > 1) {
        const f = b.items.find((x) => x.kind === 'field' && x.key.text === 'warn_at') as FieldNode | undefined;
        this.error('FMS2004', `\`warn_at\` is ${c.fields.warn_at}, outside 0–1`, f?.values[0]?.span ?? b.span, '`warn_at` is a fraction of `max`: `0.8` warns at 80%');
      } else budget.warnAt = c.fields.warn_at;
    }
    a.budgets.push(budget);
  }

  // ------------------------------------------------------------ rules

  private rule(node: RuleNode, origin: Rule['origin'], exprs: ExprLowerer, vars: Record<string, Value>, index: number): Rule | undefined {
    const spelling = node.effect.spelling;
    const mandatory = spelling === 'deny!';
    const effect: Effect | undefined = mandatory ? 'deny' : own(EFFECT_WORDS, spelling);
    // INVARIANT: the parser only makes rules from effect keyword tokens.
    if (effect === undefined) throw new Error(`internal error: rule effect \`${spelling}\` is not an effect`);
    const prob = patternProblem(node.tool.text);
    if (prob) {
      this.error('FMS2029', prob, node.tool.span);
      return undefined;
    }
    const r: Rule = {
      index,
      effect,
      mandatory,
      tool: rulePattern(node.tool.text),
      origin,
      loc: this.loc(node.span),
      text: this.text.slice(node.span.start, node.span.end).replace(/\s+/g, ' '),
    };
    const net: NetworkMatch = {};
    let hasNet = false;
    for (const c of node.clauses) {
      switch (c.kind) {
        case 'when':
          if (r.when) this.error('FMS2031', 'a rule has one condition; join them with `and`', c.span);
          else r.when = exprs.lower(c.expr);
          break;
        case 'reason':
        case 'notify': {
          const v = this.value(c.value);
          if (typeof v !== 'string') this.error('FMS2027', `\`${c.kind}\` takes a string`, c.value.span);
          else r[c.kind] = v;
          break;
        }
        case 'host':
        case 'method':
        case 'path': {
          // An unset env() (check --allow-unset-env only) is unknown: the clause, and so the rule, never matches.
          const unset = c.value.kind === 'word' ? exprs.unsetVar(c.value.text) : this.unsetEnvIn(c.value);
          if (unset !== undefined) {
            if (c.value.kind !== 'word') this.value(c.value);
            net.unsetEnv = unset;
            hasNet = true;
            break;
          }
          let v = this.value(c.value);
          if (c.value.kind === 'word' && Object.hasOwn(vars, c.value.text)) v = vars[c.value.text]!;
          else if (c.kind === 'host' && c.value.kind === 'word' && !c.value.text.includes('.') && !c.value.text.includes('*') && c.value.text !== 'localhost') {
            this.error('FMS2025', `\`${c.value.text}\` is neither a host name nor a \`var\` of this agent`, c.value.span, `declare \`var ${c.value.text} = "api.example.com"\` or write the host itself`);
          }
          if (typeof v !== 'string' || v === '') {
            this.error('FMS2027', `\`${c.kind}\` takes a ${c.kind === 'path' ? 'path such as `/v1/*`' : c.kind === 'host' ? 'host such as `api.example.com`' : 'method such as `GET`'}`, c.value.span);
            break;
          }
          if (c.kind === 'host') net.host = v.toLowerCase();
          else if (c.kind === 'method') net.method = v.toUpperCase();
          else net.path = v;
          hasNet = true;
          break;
        }
        case 'port': {
          const v = this.value(c.value);
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) this.error('FMS2027', '`port` takes a number from 1 to 65535', c.value.span);
          else {
            net.port = v;
            hasNet = true;
          }
          break;
        }
        case 'query':
        case 'header': {
          const v = this.value(c.value);
          if (typeof v !== 'string' && typeof v !== 'number') {
            this.error('FMS2027', `\`${c.kind}\` takes \`name=value\``, c.value.span);
            break;
          }
          const entry = { key: c.kind === 'header' ? c.key.text.toLowerCase() : c.key.text, value: String(v) };
          if (c.kind === 'query') (net.query ??= []).push(entry);
          else (net.headers ??= []).push(entry);
          hasNet = true;
          break;
        }
      }
    }
    if (hasNet) r.network = net;
    return r;
  }
}

/** How messages name a statement: field `x`, block `x`, a rule, `rate_limit`, ... */
/** Long spellings of the duration units FPL writes as one letter. */
const LONG_UNITS: ReadonlyMap<string, string> = new Map([
  ['msec', 'ms'], ['msecs', 'ms'], ['millisecond', 'ms'], ['milliseconds', 'ms'],
  ['sec', 's'], ['secs', 's'], ['second', 's'], ['seconds', 's'],
  ['min', 'm'], ['mins', 'm'], ['minute', 'm'], ['minutes', 'm'],
  ['hr', 'h'], ['hrs', 'h'], ['hour', 'h'], ['hours', 'h'],
  ['day', 'd'], ['days', 'd'], ['week', 'w'], ['weeks', 'w'],
]);

/**
 * Help for a duration written the long way or misspelt (`"10mins"`, `"2 hours"`,
 * `5minn`): the spelling FPL reads, as a did-you-mean when one is clear (a
 * quick fix keeps the quotes of a quoted value).
 */
function durationHelp(v: string): string {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]+)\s*$/.exec(v);
  const base = 'units are `ms`, `s`, `m`, `h`, `d` and `w`, right after the number';
  if (!m) return base;
  const word = m[2]!.toLowerCase();
  const unit = LONG_UNITS.get(word) ?? LONG_UNITS.get(didYouMean(word, LONG_UNITS.keys(), word.length >= 5 ? 2 : 1) ?? '');
  if (!unit) return base;
  const fixed = `${m[1]}${unit}`;
  return `${didYouMeanHelp(fixed)} ${base}`;
}

function describeItem(it: Item): string {
  if (it.kind === 'field') return `field \`${it.key.text}\``;
  if (it.kind === 'block') return `block \`${it.keyword.text}\``;
  if (it.kind === 'rule') return 'a rule';
  return `\`${it.kind}\``;
}

function originOrder(o: Rule['origin']): number {
  return o === 'rules' ? 0 : o === 'phase' ? 1 : 2;
}

function strings(v: Value | undefined): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is string => typeof x === 'string');
}

function baseName(file: string): string {
  const i = Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\'));
  return i >= 0 ? file.slice(i + 1) : file;
}
