/**
 * The FPL language server: an adapter over the compiler's front end. Each
 * request is answered by a pure handler in `handlers/`; this file only keeps
 * documents, caches one analysis per document version, schedules diagnostics
 * and wires the handlers to the connection.
 */
import { registryDir, registryResolver, type CompileOptions } from '@fms/compiler';
import {
  DocumentDiagnosticReportKind,
  ResponseError,
  ErrorCodes,
  TextDocumentSyncKind,
  TextDocuments,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { analyze, fileOf, type Analysis } from './analysis';
import { codeActions } from './handlers/code-actions';
import { completion } from './handlers/completion';
import { definition, prepareRename, references, rename, RenameError } from './handlers/definition';
import { toLspDiagnostics, type DiagnosticOptions } from './handlers/diagnostics';
import { foldingRanges } from './handlers/folding';
import { formatDocument, formatRange } from './handlers/formatting';
import { hover } from './handlers/hover';
import { LEGEND, semanticTokens } from './handlers/semantic-tokens';
import { signatureHelp } from './handlers/signature-help';
import { documentSymbols, workspaceSymbols } from './handlers/symbols';
import { registryVersions } from './registry-versions';
import { loadFixtures, runFixtures, type CaseResult } from './fixtures';
import { inlayHints } from './handlers/inlay-hints';
import { codeLenses, RUN_FIXTURES } from './handlers/code-lens';
import { fixtureFileDiagnostics, policyFixtureDiagnostics } from './handlers/fixture-diagnostics';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Settings a client may pass as `initializationOptions`. */
export interface ServerOptions extends DiagnosticOptions {
  /** Milliseconds to wait after the last edit before pushing diagnostics (default 150). */
  debounceMs?: number;
  /** Report unset `env()` variables as warnings, like `fmsc check --allow-unset-env`. */
  allowUnsetEnv?: boolean;
  /** The registry folder imports resolve in (default as `fmsc`: `FMS_REGISTRY`, else `.fms/registry/` next to the file). */
  registry?: string;
}

function readOptions(raw: unknown): ServerOptions {
  const o: ServerOptions = {};
  if (raw === null || typeof raw !== 'object') return o;
  const r = raw as Record<string, unknown>;
  if (typeof r.debounceMs === 'number' && Number.isFinite(r.debounceMs) && r.debounceMs >= 0 && r.debounceMs <= 10_000) o.debounceMs = r.debounceMs;
  if (typeof r.allowUnsetEnv === 'boolean') o.allowUnsetEnv = r.allowUnsetEnv;
  if (typeof r.registry === 'string' && r.registry !== '') o.registry = r.registry;
  if (typeof r.explainUrl === 'string' && /^https?:\/\/[^\s]*\{code\}/.test(r.explainUrl)) o.explainUrl = r.explainUrl;
  return o;
}

/**
 * Starts the server on `connection` (any transport) and begins listening.
 * `defaults` are settings the client's `initializationOptions` override (the
 * executable passes the link to `docs/diagnostics.md` beside it).
 */
export function startServer(connection: Connection, defaults: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const cache = new Map<string, Analysis>();
  /**
   * The version each cached analysis was made for. `TextDocuments` updates a
   * document object in place, so `analysis.doc.version` is always the current
   * version and cannot tell a stale analysis; this can.
   */
  const analyzedVersion = new Map<string, number>();
  /** The last analysis of each open document, of whatever version: the next one re-uses its unchanged parts. */
  const last = new Map<string, Analysis>();
  const timers = new Map<string, NodeJS.Timeout>();
  let options: ServerOptions = {};
  let pull = false;
  let inlayRefresh = false;
  const previews = new WeakMap<Analysis, CaseResult[]>();
  /** Fixture files that got diagnostics last time (so they are cleared when they pass). */
  const fixtureFiles = new Map<string, string>();

  const compileOptions = (uri: string): CompileOptions => {
    const opts: CompileOptions = { env: process.env, allowUnsetEnv: !!options.allowUnsetEnv };
    if (uri.startsWith('file://')) {
      const file = fileOf(uri);
      opts.resolveImport = registryResolver(registryDir(options.registry, file), file, { locked: false });
    }
    return opts;
  };

  /** The analysis of the document's current version (compiled at most once per version). */
  const analysisOf = (doc: TextDocument): Analysis => {
    const hit = cache.get(doc.uri);
    if (hit && hit.doc === doc && analyzedVersion.get(doc.uri) === doc.version && hit.text === doc.getText()) return hit;
    let a: Analysis;
    try {
      a = analyze(doc, compileOptions(doc.uri), last.get(doc.uri));
    } catch (e) {
      // The front end must never throw; if it does, say so on the document instead of crashing the server.
      const message = e instanceof Error ? e.message : String(e);
      connection.console.error(`fms: internal error compiling ${doc.uri}: ${message}`);
      const text = doc.getText();
      a = {
        doc,
        text,
        symbols: [],
        result: {
          ast: { kind: 'document', items: [], comments: [], span: { start: 0, end: text.length } },
          diagnostics: [{ code: 'FMS1099', severity: 'error', message: `internal error in the front end: ${message}`, file: fileOf(doc.uri), span: { start: 0, end: 0 } }],
        },
      };
    }
    cache.set(doc.uri, a);
    analyzedVersion.set(doc.uri, doc.version);
    last.set(doc.uri, a);
    return a;
  };

  const withDoc = <T>(uri: string, f: (a: Analysis) => T, empty: T): T => {
    const doc = documents.get(uri);
    return doc ? f(analysisOf(doc)) : empty;
  };

  /** The fixture results of an analysis: `*.fmtest.json` beside the file, re-decided against the current text. */
  const previewOf = (a: Analysis): CaseResult[] => {
    const hit = previews.get(a);
    if (hit) return hit;
    let results: CaseResult[] = [];
    if (a.result.ir && a.doc.uri.startsWith('file://') && !a.result.diagnostics.some((d) => d.severity === 'error')) {
      try {
        results = runFixtures(a.result.ir, loadFixtures(fileOf(a.doc.uri)));
      } catch (e) {
        connection.console.error(`fms: fixture preview failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    previews.set(a, results);
    return results;
  };

  const publishFixtures = (a: Analysis, results: CaseResult[]): void => {
    const files = new Set(results.map((r) => r.fixture));
    for (const [f, owner] of fixtureFiles) if (owner === a.doc.uri && !files.has(f)) files.add(f);
    for (const f of files) {
      let text = '';
      try {
        text = readFileSync(f, 'utf8');
      } catch {
        /* the file went away: clear its diagnostics */
      }
      const diagnostics = fixtureFileDiagnostics(text, f, results);
      void connection.sendDiagnostics({ uri: pathToFileURL(f).href, diagnostics });
      if (diagnostics.length) fixtureFiles.set(f, a.doc.uri);
      else fixtureFiles.delete(f);
    }
    if (inlayRefresh) void connection.languages.inlayHint.refresh();
  };

  const publish = (uri: string, version: number): void => {
    timers.delete(uri);
    const doc = documents.get(uri);
    // Stale: the document moved on (or closed) since this run was scheduled.
    if (!doc || doc.version !== version) return;
    const a = analysisOf(doc);
    const results = previewOf(a);
    const diagnostics = [...toLspDiagnostics(a, options), ...policyFixtureDiagnostics(a, results)];
    void connection.sendDiagnostics({ uri, version, diagnostics });
    publishFixtures(a, results);
  };

  const schedule = (doc: TextDocument, delay: number): void => {
    const old = timers.get(doc.uri);
    if (old) clearTimeout(old);
    if (delay <= 0) {
      publish(doc.uri, doc.version);
      return;
    }
    timers.set(doc.uri, setTimeout(() => publish(doc.uri, doc.version), delay));
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    options = { ...defaults, ...readOptions(params.initializationOptions) };
    pull = !!params.capabilities.textDocument?.diagnostic;
    inlayRefresh = !!params.capabilities.workspace?.inlayHint?.refreshSupport;
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.', ' ', '"', '/'] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        foldingRangeProvider: true,
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        semanticTokensProvider: { legend: LEGEND, full: true },
        signatureHelpProvider: { triggerCharacters: ['(', ','] },
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        inlayHintProvider: true,
        codeLensProvider: {},
        executeCommandProvider: { commands: [RUN_FIXTURES] },
        ...(pull ? { diagnosticProvider: { interFileDependencies: false, workspaceDiagnostics: false } } : {}),
      },
      serverInfo: { name: 'fms-lsp', version: '0.1.0' },
    };
  });

  documents.onDidOpen((e) => {
    if (!pull) schedule(e.document, 0);
  });
  documents.onDidChangeContent((e) => {
    // `TextDocuments` fires this on open too, right after onDidOpen analysed and published this very version.
    const hit = cache.get(e.document.uri);
    if (hit && analyzedVersion.get(e.document.uri) === e.document.version && hit.text === e.document.getText()) return;
    cache.delete(e.document.uri);
    if (!pull) schedule(e.document, options.debounceMs ?? 150);
  });
  documents.onDidClose((e) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    cache.delete(e.document.uri);
    analyzedVersion.delete(e.document.uri);
    last.delete(e.document.uri);
    if (!pull) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.languages.diagnostics.on((p) => ({
    kind: DocumentDiagnosticReportKind.Full,
    items: withDoc(
      p.textDocument.uri,
      (a) => {
        const results = previewOf(a);
        publishFixtures(a, results);
        return [...toLspDiagnostics(a, options), ...policyFixtureDiagnostics(a, results)];
      },
      [],
    ),
  }));
  connection.onCodeLens((p) => withDoc(p.textDocument.uri, (a) => codeLenses(a, previewOf(a)), []));
  connection.onExecuteCommand((p) => {
    const uri = p.command === RUN_FIXTURES && typeof p.arguments?.[0] === 'string' ? p.arguments[0] : undefined;
    const doc = uri ? documents.get(uri) : undefined;
    if (!doc) return null;
    // Re-read the fixtures from disk (they may have changed) and re-publish.
    const a = analysisOf(doc);
    previews.delete(a);
    publish(doc.uri, doc.version);
    const rs = previewOf(a);
    return { passed: rs.filter((r) => r.pass).length, failed: rs.filter((r) => !r.pass).length };
  });
  connection.languages.inlayHint.on((p) => withDoc(p.textDocument.uri, (a) => inlayHints(a, previewOf(a), p.range), []));
  connection.onHover((p) => withDoc(p.textDocument.uri, (a) => hover(a, p.position), null));
  connection.onCompletion((p) => withDoc(p.textDocument.uri, (a) => completion(a, p.position), []));
  connection.onDefinition((p) => withDoc(p.textDocument.uri, (a) => definition(a, p.position), null));
  connection.onReferences((p) => withDoc(p.textDocument.uri, (a) => references(a, p.position, p.context.includeDeclaration), []));
  connection.onPrepareRename((p) => withDoc(p.textDocument.uri, (a) => prepareRename(a, p.position), null));
  connection.onRenameRequest((p) =>
    withDoc(
      p.textDocument.uri,
      (a) => {
        try {
          return rename(a, p.position, p.newName);
        } catch (e) {
          if (e instanceof RenameError) return new ResponseError(ErrorCodes.InvalidParams, e.message);
          throw e;
        }
      },
      null,
    ),
  );
  connection.onDocumentSymbol((p) => withDoc(p.textDocument.uri, (a) => documentSymbols(a), []));
  connection.onWorkspaceSymbol((p) => workspaceSymbols(documents.all().map(analysisOf), p.query));
  connection.onFoldingRanges((p) => withDoc(p.textDocument.uri, (a) => foldingRanges(a), []));
  connection.onDocumentFormatting((p) => withDoc(p.textDocument.uri, (a) => formatDocument(a), []));
  connection.onDocumentRangeFormatting((p) => withDoc(p.textDocument.uri, (a) => formatRange(a, p.range), []));
  connection.languages.semanticTokens.on((p) => withDoc(p.textDocument.uri, (a) => semanticTokens(a), { data: [] }));
  connection.onSignatureHelp((p) => withDoc(p.textDocument.uri, (a) => signatureHelp(a, p.position), null));
  connection.onCodeAction((p) =>
    withDoc(
      p.textDocument.uri,
      (a) => {
        const dir = a.doc.uri.startsWith('file://') ? registryDir(options.registry, fileOf(a.doc.uri)) : undefined;
        return codeActions(a, p.range, dir ? (ref) => registryVersions(dir, ref) : undefined);
      },
      [],
    ),
  );
  connection.onShutdown(() => {
    for (const t of timers.values()) clearTimeout(t);
    timers.clear();
  });

  documents.listen(connection);
  connection.listen();
}
