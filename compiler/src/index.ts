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
