/**
 * `@fms/compiler`: the pure front end and the pack emitter (what the CLI, the
 * language server and the tests call; DESIGN §2, STYLE habit 1).
 *
 * `compile(text, file)` → `{ast, ir, diagnostics}`; `parse`, `format`; the
 * diagnostic model, catalogue and renderers; `emitPackBody(ir)` → pack body
 * bytes (format from `@fms/runtime/format`). Signing is `@fms/compiler/sign`.
 */
export { compile, type CompileOptions, type CompileResult } from './compile';
export { parse, type ParseResult } from './syntax/parse';
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
/** Documentation of FPL's words, written once for hover, completion and `fmsc explain` (the language server reads it). */
export { KEYWORD_DOCS, FUNCTION_DOCS, fieldDoc, blockFields, fieldValues, BLOCK_PLACES, EFFECT_SPELLINGS, CONDITION_NAMES, type KeywordDoc, type FunctionDoc, type DocKind } from './docs/keywords';
/** Did-you-mean over a candidate list (the language server's quick fixes use the compiler's own). */
export { didYouMean } from './util/did-you-mean';
/** The offline registry the CLI resolves imports through (the language server resolves the same way, never writing the lockfile). */
export { registryResolver, registryDir } from './cli/registry';
