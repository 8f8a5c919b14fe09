import type { Diagnostic } from './diagnostics/diagnostic';
import type { Policy } from './ir/types';
import type { Document } from './syntax/ast';
import { parse, reparse, type ParseResult } from './syntax/parse';
import { lower, type LowerOptions } from './ir/lower';

export type CompileOptions = LowerOptions;

export interface CompileResult {
  ast: Document;
  /** Present when the source had no syntax errors (semantic errors may still be present). */
  ir?: Policy;
  diagnostics: Diagnostic[];
}

/**
 * The one pure front end: text → AST → IR with every diagnostic. The CLI, the
 * language server and the tests call this; nothing re-parses its own way.
 * Semantic checks run only on a syntactically clean file, so they never
 * cascade from syntax errors.
 */
export function compile(text: string, file = 'governance.fms', opts: CompileOptions = {}): CompileResult {
  return compileParsed(parse(text, file), text, file, opts);
}

/**
 * `compile()` that re-uses the compile of an earlier version of the same
 * document (the language server, on every edit): the top-level items an edit
 * did not touch are not parsed again ({@link reparse}); lowering and every
 * check run on the whole, as always. The result equals
 * `compile(text, file, opts)`. `prev` is used only when its parse was clean,
 * and is taken over: its AST's nodes become the new AST's (use only the new
 * result afterwards; the old IR and diagnostics keep their locations).
 */
export function compileIncremental(prev: { text: string; result: CompileResult } | undefined, text: string, file = 'governance.fms', opts: CompileOptions = {}): CompileResult {
  const parsed = prev?.result.ir ? reparse({ text: prev.text, ast: prev.result.ast }, text, file) : undefined;
  return compileParsed(parsed ?? parse(text, file), text, file, opts);
}

/** The second half of `compile()`: lowering and the checks, on the parse of `text`. */
function compileParsed(parsed: ParseResult, text: string, file: string, opts: CompileOptions): CompileResult {
  const { ast, diagnostics } = parsed;
  if (diagnostics.some((d) => d.severity === 'error')) return { ast, diagnostics };
  const lowered = lower(ast, text, file, opts);
  return { ast, ir: lowered.ir, diagnostics: [...diagnostics, ...lowered.diagnostics] };
}
