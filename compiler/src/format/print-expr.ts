import type { CallArg, Clause, ExprNode, ValueNode } from '../syntax/ast';

/**
 * Prints a value as canonical FPL text: tokens as written (`raw`), lists as
 * `["a", "b"]`, calls as `env("NAME")`.
 */
export function printValue(v: ValueNode): string {
  switch (v.kind) {
    case 'string':
    case 'number':
    case 'money':
    case 'bool':
    case 'nil':
    case 'key':
      return v.raw;
    case 'word':
      return v.text;
    case 'list':
      return `[${v.items.map(printValue).join(', ')}]`;
    case 'call':
      return `${v.name}(${v.args.map(printValue).join(', ')})`;
  }
}

/**
 * Prints a condition: single spaces around binary operators, none inside
 * parentheses, `f(a, b)` calls with `name=value` named arguments. The tree is
 * printed as parsed (parentheses are `paren` nodes), so re-parsing the output
 * gives the same tree.
 */
export function printExpr(e: ExprNode): string {
  switch (e.kind) {
    case 'or':
    case 'and':
      return `${printExpr(e.l)} ${e.spelling} ${printExpr(e.r)}`;
    case 'not':
      // `!x` stays tight; the word form needs its space.
      return e.spelling === '!' ? `!${printExpr(e.e)}` : `${e.spelling} ${printExpr(e.e)}`;
    case 'compare':
      return `${printExpr(e.l)} ${e.spelling} ${printExpr(e.r)}`;
    case 'paren':
      return `(${printExpr(e.e)})`;
    case 'lit':
      return printValue(e.value);
    case 'list':
      return `[${e.items.map(printExpr).join(', ')}]`;
    case 'name':
      return e.path;
    case 'call':
      return `${e.callee}(${e.args.map(printArg).join(', ')})`;
    case 'error':
      // INVARIANT: never reached — format() refuses files with syntax errors.
      return '';
  }
}

function printArg(a: CallArg): string {
  return a.name !== undefined ? `${a.name}=${printExpr(a.value)}` : printExpr(a.value);
}

/** Prints one rule clause: `if EXPR`, `reason: "…"`, `method POST`, `query k=v`. */
export function printClause(c: Clause): string {
  switch (c.kind) {
    case 'when':
      return `${c.keyword} ${printExpr(c.expr)}`;
    case 'query':
    case 'header':
      return `${c.keyword}${c.colon ? ':' : ''} ${c.key.raw}=${printValue(c.value)}`;
    default:
      return `${c.kind}${c.colon ? ':' : ''} ${printValue(c.value)}`;
  }
}
