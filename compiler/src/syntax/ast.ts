import type { Span } from '../ir/types';

/**
 * The FPL abstract syntax tree. Every node carries its span (offsets into the
 * source string). The tree is generic over blocks: `agent`, `rules`, `budget`,
 * `phase`, `runtime`, ... are all `BlockNode`s with a keyword and an optional
 * label; the checker decides what belongs where. Layout-only facts the
 * formatter needs (`sep`, `quoted`, `multiline`, `blankBefore`) are kept too.
 */

export interface Document {
  kind: 'document';
  items: Item[];
  comments: CommentNode[];
  span: Span;
}

export interface CommentNode {
  text: string;
  span: Span;
}

export type Item =
  | RuleNode
  | BlockNode
  | FieldNode
  | ImportNode
  | RateLimitNode
  | RedactNode
  | VarNode
  | ManifestNode;

interface ItemBase {
  span: Span;
  /** A blank line separated this item from the previous one in the source. */
  blankBefore: boolean;
}

/** A name as written: bare (`support-bot`) or quoted (`"support-bot"`). */
export interface NameNode {
  text: string;
  quoted: boolean;
  /** The token as written (with quotes and escapes for quoted names). */
  raw: string;
  span: Span;
}

export interface BlockNode extends ItemBase {
  kind: 'block';
  keyword: NameNode;
  label?: NameNode;
  items: Item[];
  /** Span of the closing brace, absent when it is missing. */
  close?: Span;
}

export type FieldSep = '=' | ':' | '';

export interface FieldNode extends ItemBase {
  kind: 'field';
  key: NameNode;
  sep: FieldSep;
  values: ValueNode[];
  /** Separators before each value of a multi-value field (`key "id" = "B64"`); index 0 is unused. */
  valueSeps?: FieldSep[];
}

export interface ImportNode extends ItemBase {
  kind: 'import';
  ref: StringValue;
  alias?: NameNode;
  /** `with widen` (span covers both words): the package may widen what the stack permits. */
  widen?: NameNode;
}

export interface RateLimitNode extends ItemBase {
  kind: 'rate_limit';
  pattern: NameNode;
  colon: boolean;
  count: NumberValue;
  window: NameNode;
}

export interface RedactNode extends ItemBase {
  kind: 'redact';
  tool: NameNode;
  colon: boolean;
  paths: ValueNode;
}

export interface VarNode extends ItemBase {
  kind: 'var';
  name: NameNode;
  sep: FieldSep;
  value: ValueNode;
}

export interface ManifestNode extends ItemBase {
  kind: 'manifest';
  words: ValueNode[];
}

export type EffectSpelling = 'permit' | 'allow' | 'approve' | 'deny' | 'deny!' | 'defer' | 'block' | 'reject';

export interface RuleNode extends ItemBase {
  kind: 'rule';
  effect: { spelling: EffectSpelling; span: Span };
  tool: NameNode;
  clauses: Clause[];
  /** The rule was written over several lines (the formatter keeps one clause per line). */
  multiline: boolean;
}

export type Clause =
  | { kind: 'when'; keyword: 'if' | 'when'; expr: ExprNode; span: Span }
  | { kind: 'reason' | 'notify'; colon: boolean; value: ValueNode; span: Span }
  | { kind: 'host' | 'port' | 'method' | 'path'; colon: boolean; value: ValueNode; span: Span }
  | { kind: 'query' | 'header'; keyword: string; colon: boolean; key: NameNode; value: ValueNode; span: Span };

export interface StringValue {
  kind: 'string';
  value: string;
  raw: string;
  span: Span;
}

export interface NumberValue {
  kind: 'number';
  /** The numeric part (before any unit). */
  value: number;
  unit?: string;
  raw: string;
  span: Span;
}

export type ValueNode =
  | StringValue
  | NumberValue
  | { kind: 'money'; value: number; raw: string; span: Span }
  | { kind: 'bool'; value: boolean; raw: string; span: Span }
  | { kind: 'nil'; raw: string; span: Span }
  | { kind: 'word'; text: string; span: Span }
  | { kind: 'key'; algorithm: string; data: string; raw: string; span: Span }
  | { kind: 'list'; items: ValueNode[]; span: Span }
  | { kind: 'call'; name: string; args: ValueNode[]; span: Span };

export type CompareOp =
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | 'not in'
  | 'matches'
  | 'contains'
  | 'startsWith'
  | 'endsWith';

export interface CallArg {
  name?: string;
  value: ExprNode;
}

export type ExprNode =
  | { kind: 'or' | 'and'; spelling: string; l: ExprNode; r: ExprNode; span: Span }
  | { kind: 'not'; spelling: string; e: ExprNode; span: Span }
  | { kind: 'compare'; op: CompareOp; spelling: string; l: ExprNode; r: ExprNode; span: Span }
  | { kind: 'paren'; e: ExprNode; span: Span }
  | { kind: 'lit'; value: ValueNode; span: Span }
  | { kind: 'list'; items: ExprNode[]; span: Span }
  /** A (dotted) name: `amount`, `args.amount`, `principal.groups`, `stripe/refund.amount`. */
  | { kind: 'name'; path: string; span: Span }
  /** `purpose("x")`, `session.sum(stripe/refund.amount, window=1h)`, `path.starts_with("./")`. */
  | { kind: 'call'; callee: string; args: CallArg[]; span: Span }
  /** Placeholder left by error recovery. */
  | { kind: 'error'; span: Span };
