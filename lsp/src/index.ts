/**
 * `@fms/lsp`: the FPL language server. `startServer(connection)` serves any
 * transport; the pure handlers are exported for tests and other hosts.
 */
export { startServer, type ServerOptions } from './server';
export { analyze, toRange, type Analysis, type NameSymbol } from './analysis';
export { toLspDiagnostics, explainText, type DiagnosticOptions } from './handlers/diagnostics';
export { diagnosticsMarkdown, diagnosticAnchor, localExplainUrl, DIAGNOSTICS_DOC } from './diagnostics-doc';
export { hover } from './handlers/hover';
export { completion } from './handlers/completion';
export { definition, references, prepareRename, rename, RenameError } from './handlers/definition';
export { documentSymbols, workspaceSymbols } from './handlers/symbols';
export { foldingRanges } from './handlers/folding';
export { formatDocument, formatRange } from './handlers/formatting';
export { semanticTokens, LEGEND } from './handlers/semantic-tokens';
export { codeActions, newestVersion, type VersionLister } from './handlers/code-actions';
export { signatureHelp } from './handlers/signature-help';
export { loadFixtures, runFixtures, readFixture, type Fixture, type FixtureCase, type CaseResult } from './fixtures';
export { inlayHints } from './handlers/inlay-hints';
export { codeLenses, RUN_FIXTURES } from './handlers/code-lens';
export { policyFixtureDiagnostics, fixtureFileDiagnostics } from './handlers/fixture-diagnostics';
