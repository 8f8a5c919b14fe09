/**
 * `@fms/compiler`: the pure front end and the pack emitter (what the CLI, the
 * language server and the tests call; DESIGN §2, STYLE habit 1).
 *
 * `compile(text, file)` → `{ast, ir, diagnostics}`; `parse`, `format`; the
 * diagnostic model, catalogue and renderers; `emitPackBody(ir)` → pack body
 * bytes (format from `@fms/runtime/format`). Signing is `@fms/compiler/sign`.
 */
export { compile, type CompileOptions, type CompileResult } from './compile';
/** Incremental `compile()` for editors: re-parses only the top-level items an edit touched; same result as `compile()`. */
export { compileIncremental } from './compile';
export { parse, type ParseResult } from './syntax/parse';
/** Re-parse of an edited text re-using the clean parse of its previous version (what `compileIncremental` runs); same result as `parse`, or `undefined` when only a full parse can tell. */
export { reparse, type CleanParse } from './syntax/parse';
export type * from './syntax/ast';
export { format, type FormatResult } from './format/format';
export { DiagnosticSink, LineIndex, type Diagnostic, type Related, type Severity } from './diagnostics/diagnostic';
export { CATALOGUE, CATALOGUE_BY_CODE, type CatalogueEntry } from './diagnostics/catalogue';
export { renderText, toJson, plain, type JsonDiagnostic, type Palette, type Sources } from './diagnostics/render';
export { emitPackBody, buildBodyModel, EmitError, PRODUCER } from './emit/emit-body';
export type * from './ir/types';
/** The reference IR interpreter (independent of the runtime's VM): differential tests and tools compare decisions with it. */
export { Interpreter, type InterpreterOptions } from './interp/interpret';
/** The kernel fence per agent, as the emitter writes it into the pack's OS-profile sections. */
export { agentFences } from './emit/fence';

import { allTokens as lexerTokens } from './syntax/tokens';
import { AGENT_BLOCKS, AGENT_FIELDS, EFFECT_WORDS, TOP_LEVEL_BLOCKS, WINDOWS } from './ir/schema';
import { FUNCTION_NAMES } from './ir/lower-expr';

/** The spellings of a keyword token's pattern: `headers?` → header, headers; `a|b` → a, b; `deny!(?!=)` → deny!. */
function spellings(source: string): string[] {
  return source
    .replace(/\(\?[!=][^)]*\)/g, '')
    .split('|')
    .flatMap((s) => (s.endsWith('?') ? [s.slice(0, -2), s.slice(0, -1)] : [s]));
}

/**
 * The words FPL gives a meaning, as the parser and the checker know them: for
 * tools that must not drift from the language (the TextMate grammar's no-drift
 * test, editor completion). `keywords` are the lexer's keyword tokens (every
 * spelling); the rest are the schema tables of the checker.
 */
export const LANGUAGE_WORDS: Readonly<{
  keywords: readonly string[];
  effects: readonly string[];
  topLevelBlocks: readonly string[];
  agentBlocks: readonly string[];
  agentFields: readonly string[];
  windows: readonly string[];
  functions: readonly string[];
}> = Object.freeze({
  keywords: Object.freeze(
    lexerTokens
      .filter((t) => t.LONGER_ALT !== undefined || t.name === 'DenyBang')
      .flatMap((t) => (t.PATTERN instanceof RegExp ? spellings(t.PATTERN.source) : [])),
  ),
  effects: Object.freeze([...Object.keys(EFFECT_WORDS), 'deny!']),
  topLevelBlocks: Object.freeze([...TOP_LEVEL_BLOCKS]),
  agentBlocks: Object.freeze([...AGENT_BLOCKS]),
  agentFields: Object.freeze([...AGENT_FIELDS]),
  windows: Object.freeze([...WINDOWS]),
  functions: Object.freeze([...FUNCTION_NAMES]),
});
/** Documentation of FPL's words, written once for hover, completion and `fmsc explain` (the language server reads it). */
export { KEYWORD_DOCS, FUNCTION_DOCS, fieldDoc, blockFields, fieldValues, BLOCK_PLACES, EFFECT_SPELLINGS, CONDITION_NAMES, type KeywordDoc, type FunctionDoc, type DocKind } from './docs/keywords';
/** Did-you-mean over a candidate list (the language server's quick fixes use the compiler's own). */
export { didYouMean } from './util/did-you-mean';
/** The offline registry the CLI resolves imports through (the language server resolves the same way, never writing the lockfile). */
export { registryResolver, registryDir } from './cli/registry';
/**
 * The `*.fmtest.json` fixture reader of `fmsc test`: JSON parsed with the span
 * of every value (`parseJsonWithSpans`, throws `JsonSyntaxError` with an
 * offset) and the schema check with the offset of each problem
 * (`validateFixture`). The language server's fixture-file diagnostics use
 * these, so the editor and `fmsc test` refuse the same fixtures at the same places.
 */
export { parseJsonWithSpans, validateFixture, JsonSyntaxError, type PositionedJson, type JsonSpan, type FixtureProblem } from './cli/fixture-file';
/** Does a rule's tool pattern match a tool name (the checker's and the interpreter's own matcher; the language server's explain hover says whether a rule was a candidate). */
export { patternMatches } from './ir/patterns';
