/**
 * The FPL language server: an adapter over the compiler's front end. Each
 * request is answered by a pure handler in `handlers/`; this file only keeps
 * documents, caches one analysis per document version, schedules diagnostics
 * and wires the handlers to the connection.
 */
import { compile, registryDir, registryResolver, type CompileOptions, type Policy } from '@fms/compiler';
import {
  DocumentDiagnosticReportKind,
  MessageType,
  ShowMessageNotification,
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
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { explainCase, type CaseExplanation, type CaseSelection } from './explain-case';
import {
  CLEAR_FIXTURE_CASE,
  RUN_FIXTURE_CASE,
  SELECT_FIXTURE_CASE,
  caseTitle,
  fixtureCaseLenses,
  fixtureDocDiagnostics,
  fixturePolicyPath,
  readFixtureDoc,
  type FixtureDoc,
} from './handlers/fixture-file';

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
  /** The fixture case selected for explain on hover, per policy document URI. */
  const selections = new Map<string, CaseSelection>();
  const explained = new WeakMap<Analysis, { key: string; x: CaseExplanation | undefined }>();
  let codeLensRefresh = false;
  /** Policies read from disk for a fixture whose policy is not open, by path. */
  const diskPolicies = new Map<string, { stamp: string; r: { ir?: Policy; problem?: string } }>();
  /** Asks the client to re-request code lenses; a client's error answer is ignored (an unhandled rejection would end the server). */
  const refreshLenses = (): void => void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
  /** `window/showMessage` (a notification: the client need not answer, unlike `showInformationMessage`'s request). */
  const notify = (type: MessageType, message: string): void => void connection.sendNotification(ShowMessageNotification.type, { type, message: oneLine(message) });
  /** Case names and keys are data: a message about them stays on one line. */
  const oneLine = (m: string): string => m.replace(/\s*[\r\n\u2028\u2029]+\s*/g, ' ⏎ ');

  /** Selections are per policy FILE: the URI a client sends and the one `pathToFileURL` makes may encode the same path differently. */
  const selKey = (uri: string): string => (uri.startsWith('file://') ? resolve(fileOf(uri)) : uri);
  /** The open document of a file, whatever the client's URI encoding. */
  const openDoc = (path: string): TextDocument | undefined => {
    const d = documents.get(pathToFileURL(path).href);
    if (d) return d;
    const want = resolve(path);
    return documents.all().find((x) => x.uri.startsWith('file://') && resolve(fileOf(x.uri)) === want);
  };

  /** A `*.fmtest.json` on disk, open in the editor: not FPL; it gets the fixture-file features instead. */
  const isFixtureUri = (uri: string): boolean => uri.startsWith('file://') && uri.endsWith('.fmtest.json');

  /** A fixture's text: the editor's when open, else the file's (bounded); undefined when unreadable. */
  const fixtureDocAt = (path: string): FixtureDoc | undefined => {
    const doc = openDoc(path);
    if (doc) return readFixtureDoc(doc.getText(), path);
    try {
      if (statSync(path).size > 1 << 20) return readFixtureDoc('x'.repeat((1 << 20) + 1), path);
      return readFixtureDoc(readFileSync(path, 'utf8'), path);
    } catch {
      return undefined;
    }
  };

  /**
   * The IR of a policy file when it compiles without errors (the open
   * document's analysis, else the file on disk), or why there is none.
   */
  const policyIr = (path: string): { ir?: Policy; problem?: string } => {
    const uri = pathToFileURL(path).href;
    const doc = openDoc(path);
    const name = `\`${path.split(/[\\/]/).pop()}\``;
    if (doc) {
      const a = analysisOf(doc);
      return a.result.ir && !a.result.diagnostics.some((d) => d.severity === 'error') ? { ir: a.result.ir } : { problem: `the policy ${name} has errors` };
    }
    try {
      const st = statSync(path);
      if (!st.isFile()) return { problem: `the policy ${name} is not a file` };
      if (st.size > 8 << 20) return { problem: `the policy ${name} is over 8 MiB` };
      // A policy on disk is compiled once per (size, mtime): a fixture's lenses and diagnostics ask often.
      const stamp = `${st.size}:${st.mtimeMs}`;
      const hit = diskPolicies.get(path);
      if (hit && hit.stamp === stamp) return hit.r;
      const c = compile(readFileSync(path, 'utf8'), path, compileOptions(uri));
      const r = c.ir && !c.diagnostics.some((d) => d.severity === 'error') ? { ir: c.ir } : { problem: `the policy ${name} has errors (\`fmsc check\`)` };
      if (diskPolicies.size >= 16) diskPolicies.clear();
      diskPolicies.set(path, { stamp, r });
      return r;
    } catch {
      return { problem: `the policy ${name} cannot be read (\`${path}\`)` };
    }
  };

  /** A fixture document with its policy and its cases decided against that policy (in order, as `fmsc test`). */
  const fixtureState = (fd: FixtureDoc): { policy: string; ir?: Policy; problem?: string; results: CaseResult[] } => {
    const policy = fixturePolicyPath(fd);
    const p = fd.fixture ? policyIr(policy) : {};
    let results: CaseResult[] = [];
    if (p.ir && fd.fixture) {
      try {
        results = runFixtures(p.ir, [fd.fixture]);
      } catch (e) {
        connection.console.error(`fms: fixture run failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    return { policy, ...p, results };
  };

  const fixtureDiagnosticsOf = (uri: string): ReturnType<typeof fixtureDocDiagnostics> => {
    const doc = documents.get(uri);
    if (!doc) return [];
    const fd = readFixtureDoc(doc.getText(), fileOf(uri));
    const st = fixtureState(fd);
    return fixtureDocDiagnostics(fd, st.ir, st.results, st.problem);
  };

  const publishFixtureDoc = (uri: string): void => {
    const doc = documents.get(uri);
    if (!doc) return;
    void connection.sendDiagnostics({ uri, version: doc.version, diagnostics: fixtureDiagnosticsOf(uri) });
  };

  /** The selected case of a policy document explained against this analysis (cached per analysis and fixture text). */
  const explainOf = (a: Analysis): CaseExplanation | undefined => {
    const sel = selections.get(selKey(a.doc.uri));
    if (!sel || !a.result.ir || a.result.diagnostics.some((d) => d.severity === 'error')) return undefined;
    const fd = fixtureDocAt(sel.fixture);
    if (!fd?.fixture) return undefined;
    const key = `${sel.fixture}\u0000${sel.index}\u0000${fd.text}`;
    const hit = explained.get(a);
    if (hit && hit.key === key) return hit.x;
    const x = explainCase(a.result.ir, fd.fixture, sel.index, fileOf(a.doc.uri));
    explained.set(a, { key, x });
    return x;
  };

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
    return doc && !isFixtureUri(uri) ? f(analysisOf(doc)) : empty;
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
      const open = openDoc(f)?.uri;
      if (open) {
        // Open in the editor: its diagnostics come from its own text (schema, agents, failing cases).
        if (!pull) publishFixtureDoc(open);
        fixtureFiles.delete(f);
        continue;
      }
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
    if (codeLensRefresh && files.size) refreshLenses();
  };

  const publish = (uri: string, version: number): void => {
    timers.delete(uri);
    const doc = documents.get(uri);
    // Stale: the document moved on (or closed) since this run was scheduled.
    if (!doc || doc.version !== version) return;
    if (isFixtureUri(uri)) {
      publishFixtureDoc(uri);
      if (codeLensRefresh) refreshLenses();
      return;
    }
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
    codeLensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
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
        executeCommandProvider: { commands: [RUN_FIXTURES, RUN_FIXTURE_CASE, SELECT_FIXTURE_CASE, CLEAR_FIXTURE_CASE] },
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
    selections.delete(selKey(e.document.uri));
    if (!pull) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  connection.languages.diagnostics.on((p) => ({
    kind: DocumentDiagnosticReportKind.Full,
    items: isFixtureUri(p.textDocument.uri) ? fixtureDiagnosticsOf(p.textDocument.uri) : withDoc(
      p.textDocument.uri,
      (a) => {
        const results = previewOf(a);
        publishFixtures(a, results);
        return [...toLspDiagnostics(a, options), ...policyFixtureDiagnostics(a, results)];
      },
      [],
    ),
  }));
  connection.onCodeLens((p) => {
    const uri = p.textDocument.uri;
    const doc = documents.get(uri);
    if (doc && isFixtureUri(uri)) {
      const fd = readFixtureDoc(doc.getText(), fileOf(uri));
      const st = fixtureState(fd);
      return fixtureCaseLenses(fd, uri, pathToFileURL(st.policy).href, st.results);
    }
    return withDoc(
      uri,
      (a) => {
        const lenses = codeLenses(a, previewOf(a));
        const x = selections.has(selKey(uri)) ? explainOf(a) : undefined;
        const sel = selections.get(selKey(uri));
        if (sel) {
          const title = x ? `explaining with fixture case \`${x.name}\` (hover a rule) · clear` : 'explain case selected (not available: the policy or the fixture has errors) · clear';
          lenses.unshift({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, command: { title, command: CLEAR_FIXTURE_CASE, arguments: [uri] } });
        }
        return lenses;
      },
      [],
    );
  });
  /** One-line refusal of a command's arguments. */
  const refuse = (msg: string): ResponseError<void> => new ResponseError(ErrorCodes.InvalidParams, oneLine(msg));
  const caseIndex = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 10_000 ? v : undefined);
  const fixtureArg = (v: unknown): string | undefined => (typeof v === 'string' && isFixtureUri(v) ? fileOf(v) : undefined);
  connection.onExecuteCommand((p) => {
    const args: unknown[] = Array.isArray(p.arguments) ? p.arguments : [];
    if (p.command === CLEAR_FIXTURE_CASE) {
      const uri = typeof args[0] === 'string' ? args[0] : undefined;
      if (!uri) return refuse(`${CLEAR_FIXTURE_CASE}: the first argument must be the policy's document URI`);
      const had = selections.delete(selKey(uri));
      if (had && codeLensRefresh) refreshLenses();
      return { cleared: had };
    }
    if (p.command === SELECT_FIXTURE_CASE || p.command === RUN_FIXTURE_CASE) {
      const select = p.command === SELECT_FIXTURE_CASE;
      const policyUri = select ? args[0] : undefined;
      const path = fixtureArg(select ? args[1] : args[0]);
      const n = caseIndex(select ? args[2] : args[1]);
      if (select && (typeof policyUri !== 'string' || !policyUri.startsWith('file://'))) return refuse(`${p.command}: the first argument must be the policy's file:// URI`);
      if (path === undefined) return refuse(`${p.command}: expected the file:// URI of a *.fmtest.json fixture`);
      if (n === undefined) return refuse(`${p.command}: the case index must be an integer ≥ 0`);
      const fd = fixtureDocAt(path);
      if (!fd) return refuse(`${p.command}: cannot read \`${path}\``);
      if (!fd.fixture) return refuse(`${p.command}: \`${path}\` is not a valid fixture (${fd.problems[0]?.message ?? 'unreadable'})`);
      const c = fd.fixture.cases[n];
      if (!c) return refuse(`${p.command}: \`${path}\` has ${fd.fixture.cases.length} case(s), no case ${n}`);
      if (select) {
        const policy = fileOf(policyUri as string);
        if (resolve(fixturePolicyPath(fd)) !== resolve(policy)) return refuse(`${p.command}: \`${path}\` is a fixture of \`${fixturePolicyPath(fd)}\`, not of \`${policy}\``);
        selections.set(selKey(policyUri as string), { fixture: path, index: n });
        notify(MessageType.Info, `fms: explaining with fixture case \`${c.name}\`: hover a rule of ${policy.split(/[\\/]/).pop()}`);
        if (codeLensRefresh) refreshLenses();
        return { selected: c.name, fixture: path, index: n };
      }
      const st = fixtureState(fd);
      if (!st.ir) return refuse(`${p.command}: ${st.problem ?? 'the policy cannot be compiled'}`);
      const r = st.results[n];
      if (!r) return refuse(`${p.command}: case ${n} was not decided`);
      const msg = `fms: fixture case \`${r.name}\`: ${caseTitle(r)}`;
      notify(r.pass ? MessageType.Info : MessageType.Warning, msg);
      const fixtureDoc = openDoc(path);
      if (fixtureDoc && !pull) publishFixtureDoc(fixtureDoc.uri);
      if (codeLensRefresh) refreshLenses();
      return { name: r.name, pass: r.pass, effect: r.effect, code: r.code, expected: r.expected };
    }
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
  connection.onHover((p) => withDoc(p.textDocument.uri, (a) => hover(a, p.position, selections.has(selKey(a.doc.uri)) ? explainOf(a) : undefined), null));
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
  connection.onWorkspaceSymbol((p) => workspaceSymbols(documents.all().filter((d) => !isFixtureUri(d.uri)).map(analysisOf), p.query));
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
