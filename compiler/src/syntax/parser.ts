import {
  EmbeddedActionsParser,
  EOF,
  tokenMatcher,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from 'chevrotain';
import type { Span } from '../ir/types';
import type {
  CallArg,
  Clause,
  CompareOp,
  Document,
  EffectSpelling,
  ExprNode,
  FieldNode,
  FieldSep,
  Item,
  NameNode,
  NumberValue,
  StringValue,
  ValueNode,
} from './ast';
import * as T from './tokens';
import { loneSurrogateAt, unescapeString } from './strings';
import { table } from '../util/table';

/** A syntax problem found by the parser; turned into a Diagnostic by `parse()`. */
export interface SyntaxProblem {
  code: string;
  message: string;
  span: Span;
  related?: { message: string; span: Span }[];
  help?: string;
}

/** Fields whose bare form (`key a b c`) takes every value on the key's line. */
const MULTI_VALUE_FIELDS = new Set(['scope', 'key']);

const COMPARE_TOKENS: TokenType[] = [
  T.EqEq,
  T.NotEq,
  T.Lt,
  T.LtEq,
  T.Gt,
  T.GtEq,
  T.In,
  T.Not,
  T.Matches,
  T.Contains,
  T.StartsWith,
  T.EndsWith,
];

/** Code and shape of each keyword statement, for messages about malformed ones. */
const STATEMENT_USAGE = table<[string, string]>({
  import: ['FMS1009', '`import "host/kind/name@1.2.3" [as alias] [with widen]`'],
  rate_limit: ['FMS1006', '`rate_limit "PATTERN": N per second|minute|hour|day`'],
  redact: ['FMS1008', '`redact TOOL args: ["path", ...]`'],
  var: ['FMS1007', '`var NAME = VALUE`'],
  manifest: ['FMS1019', '`manifest orchestrator ID undeclared deny|defer` or `manifest grant ID to ID max N [approval]`'],
});

/** Words that may be a condition variable when an operator follows them. */
const NETWORK_VARS: TokenType[] = [T.Host, T.Path, T.Method, T.Query, T.Header, T.Port];

const describeToken = table<string>({
  LBrace: '`{`',
  RBrace: '`}`',
  LParen: '`(`',
  RParen: '`)`',
  LBracket: '`[`',
  RBracket: '`]`',
  Ident: 'a name',
  Word: 'a name',
  StringLit: 'a string',
  NumberLit: 'a number',
  Money: 'an amount',
  Colon: '`:`',
  Equals: '`=`',
  Comma: '`,`',
  Per: '`per`',
  Args: '`args`',
  EOF: 'the end of the file',
});

function describeExpected(t: TokenType): string {
  return describeToken[t.name] ?? `\`${t.name.toLowerCase()}\``;
}

function describeActual(tok: IToken): string {
  if (tok.tokenType === EOF) return 'the end of the file';
  return `\`${tok.image}\``;
}

const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual }) {
    return `FMS1010 expected ${describeExpected(expected)}, found ${describeActual(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    return `FMS1010 unexpected ${describeActual(firstRedundant)}`;
  },
  buildNoViableAltMessage({ actual, customUserDescription }) {
    const found = actual[0] ? describeActual(actual[0]) : 'the end of the file';
    if (customUserDescription) return `${customUserDescription}, found ${found}`;
    return `FMS1010 unexpected ${found}`;
  },
  buildEarlyExitMessage({ actual, customUserDescription }) {
    const found = actual[0] ? describeActual(actual[0]) : 'the end of the file';
    if (customUserDescription) return `${customUserDescription}, found ${found}`;
    return `FMS1010 unexpected ${found}`;
  },
};

function isReal(tok: IToken | undefined): tok is IToken {
  return !!tok && tok.tokenType !== EOF && !tok.isInsertedInRecovery && Number.isFinite(tok.startOffset);
}

/**
 * The FPL parser (chevrotain, embedded actions, error recovery on). Builds the
 * AST directly; syntax problems are collected, never thrown.
 */
class FplParser extends EmbeddedActionsParser {
  text = '';
  problems: SyntaxProblem[] = [];
  private lastJunk: { problem: SyntaxProblem } | undefined;

  /**
   * @param validate run chevrotain's grammar validations (ambiguities, left
   * recursion). They cost most of the parser's construction, which every
   * `fmsc` start pays, so they run in the test suite (grammarProblems), not
   * in production.
   */
  constructor(validate = false) {
    super(T.allTokens, {
      recoveryEnabled: true,
      maxLookahead: 2,
      errorMessageProvider: messages,
      skipValidations: !validate,
    });
    this.performSelfAnalysis();
  }

  /** Span of a token; tokens inserted by recovery get an empty span at the previous token's end. */
  private tspan(tok: IToken): Span {
    if (isReal(tok)) return { start: tok.startOffset, end: (tok.endOffset ?? tok.startOffset) + 1 };
    const prev = this.LA(0);
    const at = isReal(prev) ? (prev.endOffset ?? prev.startOffset) + 1 : this.text.length;
    return { start: at, end: at };
  }

  private join(a: Span, b: Span): Span {
    return { start: Math.min(a.start, b.start), end: Math.max(a.end, b.end) };
  }

  private problem(code: string, message: string, span: Span, extra?: Partial<SyntaxProblem>): void {
    this.problems.push({ code, message, span, ...extra });
  }

  private nameOf(tok: IToken): NameNode {
    const span = this.tspan(tok);
    if (tokenMatcher(tok, T.StringLit)) {
      return { text: this.unescape(tok), quoted: true, raw: tok.image, span };
    }
    return { text: tok.image, quoted: false, raw: tok.image, span };
  }

  // ---------------------------------------------------------------- document

  public document = this.RULE('document', (): Document => {
    const items: Item[] = [];
    this.MANY(() => {
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          {
            ALT: () => {
              const tok = this.CONSUME(T.RBrace);
              this.ACTION(() =>
                this.problem('FMS1012', 'unexpected `}` with no block open', this.tspan(tok), {
                  help: 'remove it, or add the block it was meant to close',
                }),
              );
            },
          },
          { ALT: () => this.SUBRULE(this.item, { ARGS: [items] }) },
        ],
      });
    });
    return this.ACTION(() => ({
      kind: 'document' as const,
      items: items.filter(Boolean),
      comments: [],
      span: { start: 0, end: this.text.length },
    }));
  });

  /** One statement of a body; pushes onto `items` (error recovery may leave nothing). */
  private item = this.RULE('item', (items: Item[]) => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => {
            const t2 = this.LA(2);
            return (
              !tokenMatcher(t2, T.Equals) &&
              !tokenMatcher(t2, T.Colon) &&
              !tokenMatcher(t2, T.LBrace) &&
              !tokenMatcher(t2, T.If) &&
              !tokenMatcher(t2, T.When) &&
              !tokenMatcher(t2, T.ClauseKw)
            );
          },
          ALT: () => this.pushItem(items, this.SUBRULE(this.rule)),
        },
        { ALT: () => this.pushItem(items, this.SUBRULE(this.importDecl)) },
        { ALT: () => this.pushItem(items, this.SUBRULE(this.rateLimit)) },
        { ALT: () => this.pushItem(items, this.SUBRULE(this.redact)) },
        { ALT: () => this.pushItem(items, this.SUBRULE(this.varDecl)) },
        { ALT: () => this.pushItem(items, this.SUBRULE(this.manifest)) },
        {
          GATE: () => !tokenMatcher(this.LA(2), T.Equals) && !tokenMatcher(this.LA(2), T.Colon),
          ALT: () => {
            const eff = this.OR2([{ ALT: () => this.CONSUME(T.DenyBang) }, { ALT: () => this.CONSUME(T.EffectKw) }]);
            this.ACTION(() => {
              this.lastJunk = undefined;
              const next = this.LA(1);
              this.problem(
                'FMS1004',
                `expected a tool pattern after \`${eff.image}\`, found ${describeActual(next)}`,
                isReal(next) ? this.tspan(next) : this.tspan(eff),
                { help: 'a rule is `EFFECT TOOL [clauses]`, e.g. `permit stripe/refund if amount < $500`' },
              );
            });
          },
        },
        { ALT: () => this.pushItem(items, this.SUBRULE(this.blockOrField)) },
        { ALT: () => this.CONSUME(T.Semicolon) },
        {
          ALT: () => {
            const tok = this.SUBRULE(this.junkToken);
            this.ACTION(() => this.junk(tok));
          },
        },
      ],
    });
  });

  private pushItem(items: Item[], r: Item | undefined): void {
    this.ACTION(() => {
      if (r) items.push(r);
      this.lastJunk = undefined;
    });
  }

  /** Any token that cannot start a statement (everything but `}`), reported once per run. */
  private junkToken = this.RULE('junkToken', (): IToken => {
    return this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { ALT: () => this.CONSUME(T.Ident) },
        { ALT: () => this.CONSUME(T.StringLit) },
        { ALT: () => this.CONSUME(T.UnterminatedString) },
        { ALT: () => this.CONSUME(T.NumberLit) },
        { ALT: () => this.CONSUME(T.Money) },
        { ALT: () => this.CONSUME(T.KeyLit) },
        { ALT: () => this.CONSUME(T.DenyBang) },
        { ALT: () => this.CONSUME(T.AndAnd) },
        { ALT: () => this.CONSUME(T.OrOr) },
        { ALT: () => this.CONSUME(T.EqEq) },
        { ALT: () => this.CONSUME(T.NotEq) },
        { ALT: () => this.CONSUME(T.LtEq) },
        { ALT: () => this.CONSUME(T.GtEq) },
        { ALT: () => this.CONSUME(T.Lt) },
        { ALT: () => this.CONSUME(T.Gt) },
        { ALT: () => this.CONSUME(T.Bang) },
        { ALT: () => this.CONSUME(T.Equals) },
        { ALT: () => this.CONSUME(T.Colon) },
        { ALT: () => this.CONSUME(T.Comma) },
        { ALT: () => this.CONSUME(T.LParen) },
        { ALT: () => this.CONSUME(T.RParen) },
        { ALT: () => this.CONSUME(T.LBracket) },
        { ALT: () => this.CONSUME(T.RBracket) },
        { ALT: () => this.CONSUME(T.LBrace) },
        { ALT: () => this.CONSUME(T.Import) },
        { ALT: () => this.CONSUME(T.As) },
        { ALT: () => this.CONSUME(T.RateLimitKw) },
        { ALT: () => this.CONSUME(T.Per) },
        { ALT: () => this.CONSUME(T.Redact) },
        { ALT: () => this.CONSUME(T.Var) },
        { ALT: () => this.CONSUME(T.Manifest) },
      ],
    });
  });

  private junk(tok: IToken): void {
    if (!isReal(tok)) return;
    const span = this.tspan(tok);
    if (tokenMatcher(tok, T.UnterminatedString)) {
      this.problem('FMS1002', 'unterminated string: the closing quote is missing on this line', span, {
        help: 'strings end on the line they start; close it with the same quote it opened with',
      });
      this.lastJunk = undefined;
      return;
    }
    if (this.lastJunk && /^\s*$/.test(this.text.slice(this.lastJunk.problem.span.end, span.start))) {
      this.lastJunk.problem.span = this.join(this.lastJunk.problem.span, span);
      return;
    }
    const p: SyntaxProblem = {
      code: 'FMS1011',
      message: `unexpected ${describeActual(tok)}: expected a rule, a block or a \`key value\` field`,
      span,
      help: 'statements start with an effect (`permit`, `deny`, `defer`, `deny!`), a block name, or a field name',
    };
    const usage = STATEMENT_USAGE[tok.image];
    if (usage && (tokenMatcher(tok, T.Import) || tokenMatcher(tok, T.RateLimitKw) || tokenMatcher(tok, T.Redact) || tokenMatcher(tok, T.Var) || tokenMatcher(tok, T.Manifest))) {
      p.code = usage[0];
      p.message = `malformed \`${tok.image}\` statement: expected ${usage[1]}`;
      p.help = undefined;
      delete p.help;
    } else if (tok.image === '...' || (tok.image === '<' && /^<[A-Za-z][\w-]*(?:\.\.\.)?>/.test(this.text.slice(span.start, span.start + 60)))) {
      p.message = `placeholder ${describeActual(tok)} is not FPL: replace it with real content`;
      p.code = 'FMS1013';
      p.help = 'documentation writes `...` and `<name>` for parts you must fill in';
    }
    this.problems.push(p);
    this.lastJunk = { problem: p };
  }

  // ---------------------------------------------------------------- statements

  private rule = this.RULE('rule', (): Item => {
    const effTok = this.OR([{ ALT: () => this.CONSUME(T.DenyBang) }, { ALT: () => this.CONSUME(T.EffectKw) }]);
    const toolTok = this.OR2({
      DEF: [{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.CONSUME2(T.StringLit) }],
      ERR_MSG: `FMS1004 expected a tool pattern after the effect (e.g. \`permit stripe/refund\`)`,
    });
    const clauses: Clause[] = [];
    this.MANY(() => {
      const c = this.SUBRULE(this.clause);
      this.ACTION(() => c && clauses.push(c));
    });
    return this.ACTION(() => {
      const effSpan = this.tspan(effTok);
      const tool = toolTok ? this.nameOf(toolTok) : this.missingName(effSpan);
      let end = tool.span.end;
      for (const c of clauses) end = Math.max(end, c.span.end);
      const span = { start: effSpan.start, end };
      return {
        kind: 'rule' as const,
        effect: { spelling: effTok.image as EffectSpelling, span: effSpan },
        tool,
        clauses,
        multiline: this.text.slice(span.start, span.end).includes('\n'),
        span,
        blankBefore: false,
      };
    });
  });

  private missingName(after: Span): NameNode {
    return { text: '', quoted: false, raw: '', span: { start: after.end, end: after.end } };
  }

  private clause = this.RULE('clause', (): Clause => {
    return this.OR([
      {
        ALT: () => {
          const kw = this.OR2([{ ALT: () => this.CONSUME(T.If) }, { ALT: () => this.CONSUME(T.When) }]);
          const expr = this.SUBRULE(this.condition);
          return this.ACTION(() => {
            const e = expr ?? this.errorExpr(this.tspan(kw));
            return {
              kind: 'when' as const,
              keyword: kw.image as 'if' | 'when',
              expr: e,
              span: this.join(this.tspan(kw), e.span),
            };
          });
        },
      },
      {
        ALT: () => {
          const kw = this.OR3([
            { ALT: () => this.CONSUME(T.Reason) },
            { ALT: () => this.CONSUME(T.Notify) },
            { ALT: () => this.CONSUME(T.Host) },
            { ALT: () => this.CONSUME(T.Port) },
            { ALT: () => this.CONSUME(T.Method) },
            { ALT: () => this.CONSUME(T.Path) },
          ]);
          const colon = this.OPTION(() => this.CONSUME(T.Colon));
          const value = this.SUBRULE(this.value, { ARGS: [`FMS1017 expected a value after \`${kw.image}\``] });
          return this.ACTION(() => {
            const v = value ?? this.errorValue(this.tspan(kw));
            return {
              kind: kw.image as 'reason' | 'notify' | 'host' | 'port' | 'method' | 'path',
              colon: !!colon,
              value: v,
              span: this.join(this.tspan(kw), v.span),
            };
          });
        },
      },
      {
        ALT: () => {
          const kw = this.OR4([{ ALT: () => this.CONSUME(T.Query) }, { ALT: () => this.CONSUME(T.Header) }]);
          const colon = this.OPTION2(() => this.CONSUME2(T.Colon));
          const keyTok = this.OR5({
            DEF: [{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.CONSUME(T.StringLit) }],
            ERR_MSG: `FMS1018 expected \`name=value\` after \`query\` or \`header\``,
          });
          this.CONSUME(T.Equals, { ERR_MSG: 'FMS1018 expected `=` between the name and the value' });
          const value = this.SUBRULE2(this.value, { ARGS: ['FMS1018 expected a value after `=`'] });
          return this.ACTION(() => {
            const v = value ?? this.errorValue(this.tspan(kw));
            return {
              kind: (kw.image.startsWith('header') ? 'header' : 'query') as 'query' | 'header',
              keyword: kw.image,
              colon: !!colon,
              key: keyTok ? this.nameOf(keyTok) : this.missingName(this.tspan(kw)),
              value: v,
              span: this.join(this.tspan(kw), v.span),
            };
          });
        },
      },
    ]);
  });

  private importDecl = this.RULE('importDecl', (): Item => {
    const kw = this.CONSUME(T.Import);
    const ref = this.CONSUME(T.StringLit, {
      ERR_MSG: 'FMS1009 expected a quoted registry reference after `import` (e.g. `import "host/kind/name@1.2.3"`)',
    });
    let alias: IToken | undefined;
    this.OPTION(() => {
      this.CONSUME(T.As);
      alias = this.CONSUME(T.Ident, { ERR_MSG: 'FMS1009 expected an alias name after `as`' });
    });
    // `with widen`: the stack lets this package widen what it permits. Neither word starts
    // a statement (`with` is no effect keyword), so the opt-in cannot swallow a rule.
    let withKw: IToken | undefined;
    let widen: IToken | undefined;
    this.OPTION2({
      GATE: () => {
        const t3 = this.LA(3);
        return this.LA(1).image === 'with' && this.LA(2).image === 'widen' && !tokenMatcher(t3, T.LBrace) && !tokenMatcher(t3, T.Equals) && !tokenMatcher(t3, T.Colon);
      },
      DEF: () => {
        withKw = this.CONSUME2(T.Ident);
        widen = this.CONSUME3(T.Ident);
      },
    });
    return this.ACTION(() => {
      const refSpan = this.tspan(ref);
      const node: Item = {
        kind: 'import',
        ref: { kind: 'string', value: isReal(ref) ? this.unescape(ref) : '', raw: ref.image ?? '', span: refSpan },
        span: this.join(this.tspan(kw), refSpan),
        blankBefore: false,
      };
      if (alias) {
        node.alias = this.nameOf(alias);
        node.span = this.join(node.span, node.alias.span);
      }
      if (withKw && widen) {
        node.widen = { ...this.nameOf(widen), span: this.join(this.tspan(withKw), this.tspan(widen)) };
        node.span = this.join(node.span, node.widen.span);
      }
      return node;
    });
  });

  private rateLimit = this.RULE('rateLimit', (): Item => {
    const kw = this.CONSUME(T.RateLimitKw);
    const pat = this.OR({
      DEF: [{ ALT: () => this.CONSUME(T.StringLit) }, { ALT: () => this.CONSUME(T.Ident) }],
      ERR_MSG: 'FMS1006 expected a tool pattern after `rate_limit` (e.g. `rate_limit "stripe/*": 10 per minute`)',
    });
    const colon = this.OPTION(() => this.CONSUME(T.Colon));
    const count = this.CONSUME(T.NumberLit, { ERR_MSG: 'FMS1006 expected the number of calls allowed' });
    this.CONSUME(T.Per, { ERR_MSG: "FMS1006 expected 'per <window>' after the limit" });
    const win = this.CONSUME2(T.Ident, {
      ERR_MSG: 'FMS1006 expected a window after `per` (`second`, `minute`, `hour` or `day`)',
    });
    return this.ACTION(() => {
      const countNode = this.numberNode(count);
      const window = this.nameOf(win);
      return {
        kind: 'rate_limit' as const,
        pattern: this.nameOf(pat),
        colon: !!colon,
        count: countNode,
        window,
        span: this.join(this.tspan(kw), window.span.end > 0 ? window.span : countNode.span),
        blankBefore: false,
      };
    });
  });

  private redact = this.RULE('redact', (): Item => {
    const kw = this.CONSUME(T.Redact);
    const tool = this.OR({
      DEF: [{ ALT: () => this.CONSUME(T.StringLit) }, { ALT: () => this.CONSUME(T.Ident) }],
      ERR_MSG: 'FMS1008 expected a tool pattern after `redact`',
    });
    this.CONSUME(T.Args, { ERR_MSG: 'FMS1008 expected `args: [...]` after the tool in `redact`' });
    const colon = this.OPTION(() => this.CONSUME(T.Colon));
    const paths = this.SUBRULE(this.value, { ARGS: ['FMS1008 expected a list of argument paths after `args:`'] });
    return this.ACTION(() => {
      const p = paths ?? this.errorValue(this.tspan(kw));
      return {
        kind: 'redact' as const,
        tool: this.nameOf(tool),
        colon: !!colon,
        paths: p,
        span: this.join(this.tspan(kw), p.span),
        blankBefore: false,
      };
    });
  });

  private varDecl = this.RULE('varDecl', (): Item => {
    const kw = this.CONSUME(T.Var);
    const name = this.OR([{ ALT: () => this.CONSUME(T.Ident) }, { ALT: () => this.CONSUME(T.StringLit) }]);
    const sep = this.OPTION(() =>
      this.OR2([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.Colon) }]),
    );
    const value = this.SUBRULE(this.value, { ARGS: ['FMS1007 expected a value for the `var`'] });
    return this.ACTION(() => {
      const v = value ?? this.errorValue(this.tspan(kw));
      return {
        kind: 'var' as const,
        name: this.nameOf(name),
        sep: (sep?.image ?? '') as FieldSep,
        value: v,
        span: this.join(this.tspan(kw), v.span),
        blankBefore: false,
      };
    });
  });

  private manifest = this.RULE('manifest', (): Item => {
    const kw = this.CONSUME(T.Manifest);
    const words: ValueNode[] = [];
    this.MANY({
      GATE: () => this.LA(1).startLine === kw.startLine && this.isValueStart(this.LA(1)),
      DEF: () => {
        const v = this.SUBRULE(this.value, { ARGS: ['FMS1007 expected a value'] });
        this.ACTION(() => v && words.push(v));
      },
    });
    return this.ACTION(() => {
      let span = this.tspan(kw);
      if (!words.length) {
        this.problem('FMS1019', `malformed \`manifest\` statement: expected ${STATEMENT_USAGE.manifest![1]}`, span);
      }
      for (const w of words) span = this.join(span, w.span);
      return { kind: 'manifest' as const, words, span, blankBefore: false };
    });
  });

  private isValueStart(tok: IToken): boolean {
    return (
      tokenMatcher(tok, T.Ident) ||
      tokenMatcher(tok, T.StringLit) ||
      tokenMatcher(tok, T.NumberLit) ||
      tokenMatcher(tok, T.Money) ||
      tokenMatcher(tok, T.KeyLit) ||
      tokenMatcher(tok, T.LBracket)
    );
  }

  /** `keyword [label] { ... }` or `key [=|:] value...`. */
  private blockOrField = this.RULE('blockOrField', (): Item => {
    const keyTok = this.CONSUME(T.Ident);
    return this.OR([
      {
        GATE: () =>
          tokenMatcher(this.LA(1), T.LBrace) ||
          ((tokenMatcher(this.LA(1), T.Ident) ||
            tokenMatcher(this.LA(1), T.StringLit) ||
            tokenMatcher(this.LA(1), T.NumberLit)) &&
            tokenMatcher(this.LA(2), T.LBrace)),
        ALT: () => {
          const label = this.OPTION(() =>
            this.OR2([
              { ALT: () => this.CONSUME2(T.Ident) },
              { ALT: () => this.CONSUME(T.StringLit) },
              { ALT: () => this.CONSUME(T.NumberLit) },
            ]),
          );
          const open = this.CONSUME(T.LBrace);
          const items: Item[] = [];
          this.MANY(() => this.SUBRULE(this.item, { ARGS: [items] }));
          const close = this.OPTION2(() => this.CONSUME(T.RBrace));
          return this.ACTION(() => {
            const keyword = this.nameOf(keyTok);
            const openSpan = this.tspan(open);
            const labelNode = label ? this.nameOf(label) : undefined;
            let end = openSpan.end;
            if (close && isReal(close)) end = this.tspan(close).end;
            else {
              for (const it of items) if (it) end = Math.max(end, it.span.end);
              const what = labelNode ? `\`${keyword.text} ${labelNode.text}\`` : `\`${keyword.text}\``;
              this.problem('FMS1003', `unclosed ${what} block: expected \`}\` before the end of the file`, openSpan, {
                help: 'add the missing `}`; blocks nest, so check the blocks inside it too',
                related: [{ message: 'the block opens here', span: openSpan }],
              });
            }
            const node: Item = {
              kind: 'block',
              keyword,
              items: items.filter(Boolean),
              span: { start: keyword.span.start, end },
              blankBefore: false,
            };
            if (labelNode) node.label = labelNode;
            if (close && isReal(close)) node.close = this.tspan(close);
            return node;
          });
        },
      },
      {
        ALT: () => {
          const sepTok = this.OPTION3(() =>
            this.OR3([{ ALT: () => this.CONSUME(T.Equals) }, { ALT: () => this.CONSUME(T.Colon) }]),
          );
          const first = this.SUBRULE(this.value, {
            ARGS: [`FMS1007 expected a value after \`${this.ACTION(() => keyTok.image)}\``],
          });
          const values: ValueNode[] = [];
          const valueSeps: FieldSep[] = [];
          this.MANY2({
            GATE: () =>
              MULTI_VALUE_FIELDS.has(keyTok.image) &&
              this.LA(1).startLine === keyTok.startLine &&
              (this.isValueStart(this.LA(1)) ||
                ((tokenMatcher(this.LA(1), T.Equals) || tokenMatcher(this.LA(1), T.Colon)) &&
                  this.isValueStart(this.LA(2)))),
            DEF: () => {
              const s = this.OPTION4(() =>
                this.OR4([{ ALT: () => this.CONSUME2(T.Equals) }, { ALT: () => this.CONSUME2(T.Colon) }]),
              );
              const v = this.SUBRULE2(this.value, { ARGS: ['FMS1007 expected a value'] });
              this.ACTION(() => {
                if (v) {
                  values.push(v);
                  valueSeps.push((s?.image ?? '') as FieldSep);
                }
              });
            },
          });
          return this.ACTION(() => {
            const key = this.nameOf(keyTok);
            const f = first ?? this.errorValue(key.span);
            let span = this.join(key.span, f.span);
            for (const v of values) span = this.join(span, v.span);
            const node: FieldNode = {
              kind: 'field',
              key,
              sep: (sepTok?.image ?? '') as FieldSep,
              values: [f, ...values],
              span,
              blankBefore: false,
            };
            if (values.length) node.valueSeps = ['' as FieldSep, ...valueSeps];
            return node;
          });
        },
      },
    ]);
  });

  // ---------------------------------------------------------------- values

  private value = this.RULE('value', (errMsg: string): ValueNode => {
    return this.OR({
      IGNORE_AMBIGUITIES: true,
      ERR_MSG: errMsg,
      DEF: [
        {
          ALT: () => {
            const t = this.CONSUME(T.StringLit);
            return this.ACTION(() => this.stringNode(t));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(T.NumberLit);
            return this.ACTION(() => this.numberNode(t));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(T.Money);
            return this.ACTION(() => this.literalNode(t));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(T.KeyLit);
            return this.ACTION(() => {
              const i = t.image.indexOf(':');
              return {
                kind: 'key' as const,
                algorithm: t.image.slice(0, i),
                data: t.image.slice(i + 1),
                raw: t.image,
                span: this.tspan(t),
              };
            });
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(T.LBracket);
            const items: ValueNode[] = [];
            this.MANY({
              GATE: () => !tokenMatcher(this.LA(1), T.RBracket),
              DEF: () => {
                const v = this.SUBRULE(this.value, { ARGS: ['FMS1015 expected a list item'] });
                this.ACTION(() => v && items.push(v));
                this.OPTION(() => this.CONSUME(T.Comma));
              },
            });
            const close = this.CONSUME(T.RBracket, { ERR_MSG: 'FMS1015 expected `]` to close the list' });
            return this.ACTION(() => ({
              kind: 'list' as const,
              items,
              span: this.join(this.tspan(open), this.tspan(close)),
            }));
          },
        },
        {
          ALT: () => {
            const t = this.OR2([
              { ALT: () => this.CONSUME(T.True) },
              { ALT: () => this.CONSUME(T.False) },
              { ALT: () => this.CONSUME(T.Nil) },
            ]);
            return this.ACTION(() => this.literalNode(t));
          },
        },
        {
          ALT: () => {
            const t = this.CONSUME(T.Ident);
            const args: ValueNode[] = [];
            let close: IToken | undefined;
            const isCall = this.OPTION2(() => {
              this.CONSUME(T.LParen);
              this.MANY2({
                GATE: () => !tokenMatcher(this.LA(1), T.RParen),
                DEF: () => {
                  const v = this.SUBRULE2(this.value, { ARGS: ['FMS1016 expected an argument'] });
                  this.ACTION(() => v && args.push(v));
                  this.OPTION3(() => this.CONSUME2(T.Comma));
                },
              });
              close = this.CONSUME(T.RParen, { ERR_MSG: 'FMS1016 expected `)` to close the call' });
              return true;
            });
            return this.ACTION(() => {
              if (isCall) {
                return {
                  kind: 'call' as const,
                  name: t.image,
                  args,
                  span: this.join(this.tspan(t), close ? this.tspan(close) : this.tspan(t)),
                };
              }
              return { kind: 'word' as const, text: t.image, span: this.tspan(t) };
            });
          },
        },
      ],
    });
  });

  private stringNode(t: IToken): StringValue {
    const value = isReal(t) ? this.unescape(t) : '';
    return { kind: 'string', value, raw: t.image ?? '', span: this.tspan(t) };
  }

  /** Decodes a string token; an escape that yields half a surrogate pair (`"\ud800"`) is FMS1021 (it has no UTF-8 form). */
  private unescape(t: IToken): string {
    const value = unescapeString(t.image);
    if (loneSurrogateAt(value) >= 0 && loneSurrogateAt(t.image) < 0) {
      this.problem('FMS1021', 'this string decodes to half of a UTF-16 surrogate pair, which is not a character', this.tspan(t), {
        help: 'write a whole character: `\\ud83d\\ude00` (a pair) or the character itself',
      });
    }
    return value;
  }

  /** Reports a number that has no finite value (`1e999`, a 400-digit amount): the pack stores finite numbers only. */
  private finite(value: number, t: IToken): number {
    if (!Number.isFinite(value) && isReal(t)) {
      this.problem('FMS1022', `\`${t.image.length > 24 ? t.image.slice(0, 24) + '…' : t.image}\` is too large to be a number`, this.tspan(t), {
        help: 'numbers must be finite (below about 1.8e308)',
      });
    }
    return value;
  }

  private numberNode(t: IToken): NumberValue {
    const m = /^(-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)([a-z]*)$/.exec(t.image ?? '');
    // With a unit the value is scaled (up to ×1024⁴ for `tb`): that must stay finite too.
    const node: NumberValue = { kind: 'number', value: m ? Number(m[1]) : NaN, raw: t.image ?? '', span: this.tspan(t) };
    if (m) this.finite(m[2] ? node.value * 1024 ** 4 : node.value, t);
    if (m && m[2]) node.unit = m[2];
    return node;
  }

  /** The value of a literal token: string, number, `$` money, `true`/`false`, `nil`/`null`. */
  private literalNode(t: IToken): ValueNode {
    if (tokenMatcher(t, T.StringLit)) return this.stringNode(t);
    if (tokenMatcher(t, T.NumberLit)) return this.numberNode(t);
    const span = this.tspan(t);
    if (tokenMatcher(t, T.Money)) return { kind: 'money', value: this.finite(Number(t.image.slice(1)), t), raw: t.image, span };
    if (tokenMatcher(t, T.Nil)) return { kind: 'nil', raw: t.image, span };
    return { kind: 'bool', value: t.image === 'true', raw: t.image, span };
  }

  private errorValue(after: Span): ValueNode {
    return { kind: 'word', text: '', span: { start: after.end, end: after.end } };
  }

  private errorExpr(after: Span): ExprNode {
    return { kind: 'error', span: { start: after.end, end: after.end } };
  }

  // ---------------------------------------------------------------- conditions

  private condition = this.RULE('condition', (): ExprNode => {
    const first = this.SUBRULE(this.andExpr);
    const terms: (ExprNode | undefined)[] = [first];
    const ops: IToken[] = [];
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.Or) }, { ALT: () => this.CONSUME(T.OrOr) }]);
      const r = this.SUBRULE2(this.andExpr);
      this.ACTION(() => {
        ops.push(op);
        terms.push(r);
      });
    });
    return this.ACTION(() => this.chain('or', terms, ops));
  });

  private andExpr = this.RULE('andExpr', (): ExprNode => {
    const first = this.SUBRULE(this.notExpr);
    const terms: (ExprNode | undefined)[] = [first];
    const ops: IToken[] = [];
    this.MANY(() => {
      const op = this.OR([{ ALT: () => this.CONSUME(T.And) }, { ALT: () => this.CONSUME(T.AndAnd) }]);
      const r = this.SUBRULE2(this.notExpr);
      this.ACTION(() => {
        ops.push(op);
        terms.push(r);
      });
    });
    return this.ACTION(() => this.chain('and', terms, ops));
  });

  /**
   * Joins `t0 op0 t1 op1 t2 …` into a balanced tree, so a chain of n terms is
   * log2(n) deep and no later pass recurses n times (a 3,000-term `and` chain
   * must not overflow the stack). `and`/`or` are associative, so the meaning is
   * that of the left-to-right chain; printing the tree in order gives back the
   * same tokens, each operator with its own spelling.
   */
  private chain(kind: 'and' | 'or', terms: (ExprNode | undefined)[], ops: IToken[]): ExprNode {
    const build = (lo: number, hi: number): ExprNode => {
      if (lo === hi) return terms[lo] ?? this.errorExpr(this.tspan(ops[lo - 1] ?? ops[0]!));
      const mid = (lo + hi + 1) >> 1;
      const l = build(lo, mid - 1);
      const r = build(mid, hi);
      return { kind, spelling: ops[mid - 1]!.image, l, r, span: this.join(l.span, r.span) };
    };
    if (ops.length === 0) return terms[0]!;
    return build(0, terms.length - 1);
  }

  private notExpr = this.RULE('notExpr', (): ExprNode => {
    return this.OR([
      {
        GATE: () => !tokenMatcher(this.LA(2), T.In),
        ALT: () => {
          const op = this.OR2([{ ALT: () => this.CONSUME(T.Not) }, { ALT: () => this.CONSUME(T.Bang) }]);
          const e = this.SUBRULE(this.notExpr);
          return this.ACTION(() => {
            const ee = e ?? this.errorExpr(this.tspan(op));
            return { kind: 'not' as const, spelling: op.image, e: ee, span: this.join(this.tspan(op), ee.span) };
          });
        },
      },
      { ALT: () => this.SUBRULE(this.compareExpr) },
    ]);
  });

  private compareExpr = this.RULE('compareExpr', (): ExprNode => {
    const l = this.SUBRULE(this.operand);
    let result = l;
    this.OPTION(() => {
      const op = this.OR([
        { ALT: () => this.CONSUME(T.EqEq) },
        { ALT: () => this.CONSUME(T.NotEq) },
        { ALT: () => this.CONSUME(T.LtEq) },
        { ALT: () => this.CONSUME(T.GtEq) },
        { ALT: () => this.CONSUME(T.Lt) },
        { ALT: () => this.CONSUME(T.Gt) },
        { ALT: () => this.CONSUME(T.In) },
        {
          ALT: () => {
            const n = this.CONSUME(T.Not);
            const i = this.CONSUME2(T.In);
            return this.ACTION(() => ({ ...n, image: 'not in', endOffset: i.endOffset }) as IToken);
          },
        },
        { ALT: () => this.CONSUME(T.Matches) },
        { ALT: () => this.CONSUME(T.Contains) },
        { ALT: () => this.CONSUME(T.StartsWith) },
        { ALT: () => this.CONSUME(T.EndsWith) },
      ]);
      const r = this.SUBRULE2(this.operand);
      this.ACTION(() => {
        const ll = l ?? this.errorExpr(this.tspan(op));
        const rr = r ?? this.errorExpr(this.tspan(op));
        const spelling = op.image;
        const canon: CompareOp =
          spelling === 'starts_with' ? 'startsWith' : spelling === 'ends_with' ? 'endsWith' : (spelling as CompareOp);
        result = { kind: 'compare', op: canon, spelling, l: ll, r: rr, span: this.join(ll.span, rr.span) };
      });
    });
    return result;
  });

  private operand = this.RULE('operand', (): ExprNode => {
    return this.OR({
      IGNORE_AMBIGUITIES: true,
      ERR_MSG: 'FMS1005 expected a condition value (a name, a string, a number, a list or `(`)',
      DEF: [
        {
          ALT: () => {
            const open = this.CONSUME(T.LParen);
            const e = this.SUBRULE(this.condition);
            const close = this.CONSUME(T.RParen, { ERR_MSG: 'FMS1014 expected `)` to close the parenthesis' });
            return this.ACTION(() => ({
              kind: 'paren' as const,
              e: e ?? this.errorExpr(this.tspan(open)),
              span: this.join(this.tspan(open), this.tspan(close)),
            }));
          },
        },
        {
          ALT: () => {
            const open = this.CONSUME(T.LBracket);
            const items: ExprNode[] = [];
            this.MANY({
              GATE: () => !tokenMatcher(this.LA(1), T.RBracket),
              DEF: () => {
                const v = this.SUBRULE2(this.condition);
                this.ACTION(() => v && items.push(v));
                this.OPTION(() => this.CONSUME(T.Comma));
              },
            });
            const close = this.CONSUME(T.RBracket, { ERR_MSG: 'FMS1015 expected `]` to close the list' });
            return this.ACTION(() => ({
              kind: 'list' as const,
              items,
              span: this.join(this.tspan(open), this.tspan(close)),
            }));
          },
        },
        {
          ALT: () => {
            const t = this.OR2([
              { ALT: () => this.CONSUME(T.StringLit) },
              { ALT: () => this.CONSUME(T.NumberLit) },
              { ALT: () => this.CONSUME(T.Money) },
              { ALT: () => this.CONSUME(T.True) },
              { ALT: () => this.CONSUME(T.False) },
              { ALT: () => this.CONSUME(T.Nil) },
            ]);
            return this.ACTION((): ExprNode => ({ kind: 'lit', value: this.literalNode(t), span: this.tspan(t) }));
          },
        },
        {
          GATE: () => {
            const t1 = this.LA(1);
            if (NETWORK_VARS.some((k) => tokenMatcher(t1, k))) {
              const t2 = this.LA(2);
              return COMPARE_TOKENS.some((k) => tokenMatcher(t2, k)) || tokenMatcher(t2, T.LParen);
            }
            return tokenMatcher(t1, T.Word) || tokenMatcher(t1, T.Args);
          },
          ALT: () => {
            const t = this.CONSUME(T.Ident);
            const args: CallArg[] = [];
            let close: IToken | undefined;
            const isCall = this.OPTION2(() => {
              this.CONSUME2(T.LParen);
              this.MANY2({
                GATE: () => !tokenMatcher(this.LA(1), T.RParen),
                DEF: () => {
                  let name: string | undefined;
                  this.OPTION3({
                    GATE: () => tokenMatcher(this.LA(2), T.Equals),
                    DEF: () => {
                      name = this.CONSUME2(T.Ident).image;
                      this.CONSUME(T.Equals);
                    },
                  });
                  const v = this.SUBRULE3(this.condition);
                  this.ACTION(() => {
                    if (v) args.push(name !== undefined ? { name, value: v } : { value: v });
                  });
                  this.OPTION4(() => this.CONSUME2(T.Comma));
                },
              });
              close = this.CONSUME2(T.RParen, { ERR_MSG: 'FMS1016 expected `)` to close the call' });
              return true;
            });
            return this.ACTION((): ExprNode => {
              const span = this.tspan(t);
              if (isCall) {
                return { kind: 'call', callee: t.image, args, span: this.join(span, close ? this.tspan(close) : span) };
              }
              return { kind: 'name', path: t.image, span };
            });
          },
        },
      ],
    });
  });

  /** Parses a token vector; never throws (internal failures become FMS1099). */
  parseTokens(text: string, tokens: IToken[]): Document {
    this.text = text;
    this.problems = [];
    this.lastJunk = undefined;
    this.input = tokens;
    const doc = this.document();
    for (const e of this.errors) {
      const m = /^(FMS\d{4}) ([\s\S]*)$/.exec(e.message);
      const tok = e.token;
      let span: Span;
      if (isReal(tok)) span = { start: tok.startOffset, end: (tok.endOffset ?? tok.startOffset) + 1 };
      else {
        const prev = (e as { previousToken?: IToken }).previousToken;
        const at = isReal(prev) ? (prev.endOffset ?? prev.startOffset) + 1 : text.length;
        span = { start: at, end: at };
      }
      this.problems.push({ code: m ? m[1]! : 'FMS1010', message: m ? m[2]! : e.message, span });
    }
    return doc ?? { kind: 'document', items: [], comments: [], span: { start: 0, end: text.length } };
  }
}

let shared: FplParser | undefined;

/**
 * Builds the parser with chevrotain's grammar validations on; returns the
 * problems they find (none for a sound grammar). For tests: production
 * parsers skip the validations to start fast.
 */
export function grammarProblems(): string[] {
  try {
    new FplParser(true);
    return [];
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}

/** The parser instance (built once: chevrotain's grammar analysis is the costly part). */
export function fplParser(): FplParser {
  shared ??= new FplParser();
  return shared;
}
