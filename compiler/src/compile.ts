import type { Diagnostic } from './diagnostics/diagnostic';
import type { Policy } from './ir/types';
import type { Document } from './syntax/ast';
import { parse } from './syntax/parse';
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
  const { ast, diagnostics } = parse(text, file);
  if (diagnostics.some((d) => d.severity === 'error')) return { ast, diagnostics };
  const lowered = lower(ast, text, file, opts);
  return { ast, ir: lowered.ir, diagnostics: [...diagnostics, ...lowered.diagnostics] };
}
