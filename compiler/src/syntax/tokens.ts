import { createToken, Lexer, type TokenType } from 'chevrotain';

/**
 * Tokens of FPL. Keywords are contextual: every keyword also belongs to the
 * `Ident` category, so wherever the grammar wants a name (`agent default {`,
 * `on_exceed deny`, a field called `path`) a keyword is accepted too.
 */

// Categories (no pattern of their own).
export const Ident = createToken({ name: 'Ident', pattern: Lexer.NA });
export const EffectKw = createToken({ name: 'EffectKw', pattern: Lexer.NA });
export const ClauseKw = createToken({ name: 'ClauseKw', pattern: Lexer.NA });

export const WhiteSpace = createToken({
  name: 'WhiteSpace',
  // A backslash before a newline continues the line.
  pattern: /(?:[ \t\r\n\f\v\u00a0\ufeff]|\\\r?\n)+/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});

export const Comment = createToken({ name: 'Comment', pattern: /#[^\n\r]*/, group: 'comments' });

export const StringLit = createToken({
  name: 'StringLit',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"|'(?:[^'\\\n\r]|\\[^\n\r])*'/,
});
/** A string whose closing quote is missing on its line; the parser reports it. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*|'(?:[^'\\\n\r]|\\[^\n\r])*/,
});

/** `ed25519:BASE64` (one token, as in `trust {}` blocks). */
export const KeyLit = createToken({
  name: 'KeyLit',
  pattern: /(?:ed25519|ecdsa-p256|p256):[A-Za-z0-9+/]+=*/,
});

export const Money = createToken({ name: 'Money', pattern: /\$[0-9]+(?:\.[0-9]+)?/ });

/** Numbers with an optional unit: `42`, `3.14`, `1e3`, `500ms`, `24h`, `10mb`. */
export const NumberLit = createToken({
  name: 'NumberLit',
  pattern: /-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?(?:ms|s|m|h|d|w|kb|mb|gb|tb|b)?(?![A-Za-z0-9_.*/-])/,
});

/** Bare words: names, dotted paths (`args.amount`), tool patterns (`stripe/*`, `read_*`), hosts, URL paths. */
export const Word = createToken({
  name: 'Word',
  pattern: /[A-Za-z0-9_*/.][A-Za-z0-9_\-*/.]*/,
  categories: [Ident],
});

const kw = (name: string, pattern: RegExp, extra: TokenType[] = []): TokenType =>
  createToken({ name, pattern, longer_alt: Word, categories: [Ident, ...extra] });
/** Statement keywords that are never names: a statement starting with one is parsed as that statement. */
const reserved = (name: string, pattern: RegExp): TokenType => createToken({ name, pattern, longer_alt: Word });

export const DenyBang = createToken({ name: 'DenyBang', pattern: /deny!(?!=)/ });

export const Permit = kw('Permit', /permit/, [EffectKw]);
export const Allow = kw('Allow', /allow/, [EffectKw]);
export const Approve = kw('Approve', /approve/, [EffectKw]);
export const Deny = kw('Deny', /deny/, [EffectKw]);
export const Defer = kw('Defer', /defer/, [EffectKw]);
export const Block = kw('Block', /block/, [EffectKw]);
export const Reject = kw('Reject', /reject/, [EffectKw]);

export const If = kw('If', /if/);
export const When = kw('When', /when/);
export const Reason = kw('Reason', /reason/, [ClauseKw]);
export const Notify = kw('Notify', /notify/, [ClauseKw]);
export const Host = kw('Host', /host/, [ClauseKw]);
export const Port = kw('Port', /port/, [ClauseKw]);
export const Method = kw('Method', /method/, [ClauseKw]);
export const Path = kw('Path', /path/, [ClauseKw]);
export const Query = kw('Query', /query/, [ClauseKw]);
export const Header = kw('Header', /headers?/, [ClauseKw]);

export const And = kw('And', /and/);
export const Or = kw('Or', /or/);
export const Not = kw('Not', /not/);
export const In = kw('In', /in/);
export const Matches = kw('Matches', /matches/);
export const Contains = kw('Contains', /contains/);
export const StartsWith = kw('StartsWith', /startsWith|starts_with/);
export const EndsWith = kw('EndsWith', /endsWith|ends_with/);
export const True = kw('True', /true/);
export const False = kw('False', /false/);
export const Nil = kw('Nil', /nil|null/);

export const Import = reserved('Import', /import/);
export const As = reserved('As', /as/);
export const RateLimitKw = reserved('RateLimitKw', /rate_limit/);
export const Per = reserved('Per', /per/);
export const Redact = reserved('Redact', /redact/);
export const Args = kw('Args', /args/);
export const Var = reserved('Var', /var/);
export const Manifest = reserved('Manifest', /manifest/);

export const AndAnd = createToken({ name: 'AndAnd', pattern: /&&/ });
export const OrOr = createToken({ name: 'OrOr', pattern: /\|\|/ });
export const EqEq = createToken({ name: 'EqEq', pattern: /==/ });
export const NotEq = createToken({ name: 'NotEq', pattern: /!=/ });
export const LtEq = createToken({ name: 'LtEq', pattern: /<=/ });
export const GtEq = createToken({ name: 'GtEq', pattern: />=/ });
export const Lt = createToken({ name: 'Lt', pattern: /</ });
export const Gt = createToken({ name: 'Gt', pattern: />/ });
export const Bang = createToken({ name: 'Bang', pattern: /!/ });
export const Equals = createToken({ name: 'Equals', pattern: /=/ });
export const Colon = createToken({ name: 'Colon', pattern: /:/ });
export const Comma = createToken({ name: 'Comma', pattern: /,/ });
export const Semicolon = createToken({ name: 'Semicolon', pattern: /;/ });
export const LParen = createToken({ name: 'LParen', pattern: /\(/ });
export const RParen = createToken({ name: 'RParen', pattern: /\)/ });
export const LBracket = createToken({ name: 'LBracket', pattern: /\[/ });
export const RBracket = createToken({ name: 'RBracket', pattern: /]/ });
export const LBrace = createToken({ name: 'LBrace', pattern: /{/ });
export const RBrace = createToken({ name: 'RBrace', pattern: /}/ });

/** Keyword tokens, longest first where one is a prefix of another. */
const keywords: TokenType[] = [
  DenyBang,
  Permit,
  Allow,
  Approve,
  Deny,
  Defer,
  Block,
  Reject,
  If,
  When,
  Reason,
  Notify,
  Host,
  Port,
  Method,
  Path,
  Query,
  Header,
  And,
  Or,
  Not,
  Import,
  Matches,
  Contains,
  StartsWith,
  EndsWith,
  True,
  False,
  Nil,
  As,
  RateLimitKw,
  Per,
  Redact,
  Args,
  Var,
  Manifest,
  In,
];

export const allTokens: TokenType[] = [
  WhiteSpace,
  Comment,
  StringLit,
  UnterminatedString,
  KeyLit,
  Money,
  NumberLit,
  ...keywords,
  Word,
  AndAnd,
  OrOr,
  EqEq,
  NotEq,
  LtEq,
  GtEq,
  Lt,
  Gt,
  Bang,
  Equals,
  Colon,
  Comma,
  Semicolon,
  LParen,
  RParen,
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  Ident,
  EffectKw,
  ClauseKw,
];

const LEXER_CONFIG = { positionTracking: 'full', ensureOptimizations: false, recoveryEnabled: true } as const;

/**
 * The FPL lexer. chevrotain's checks of the token definitions (unreachable
 * patterns, line-break issues, anchors) cost a good part of every start of
 * `fms-lsp` and `fmsc`; they are skipped here and run in the test suite
 * instead ({@link lexerProblems}), as the parser's grammar validations do.
 */
export const fplLexer = new Lexer(allTokens, { ...LEXER_CONFIG, skipValidations: true });

/**
 * Builds the lexer with chevrotain's definition checks on; returns the errors
 * and warnings they report (none for sound token definitions). For tests;
 * `tokens` defaults to FPL's.
 */
export function lexerProblems(tokens: TokenType[] = allTokens): string[] {
  try {
    const l = new Lexer(tokens, { ...LEXER_CONFIG, skipValidations: false, deferDefinitionErrorsHandling: true });
    const warnings = (l as unknown as { lexerDefinitionWarning?: { message: string }[] }).lexerDefinitionWarning ?? [];
    return [...l.lexerDefinitionErrors, ...warnings].map((e) => e.message);
  } catch (e) {
    return [e instanceof Error ? e.message : String(e)];
  }
}
