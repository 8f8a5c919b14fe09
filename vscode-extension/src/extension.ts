/**
 * The VS Code client for governance.fms: starts the bundled language server
 * (`dist/server.js`, built from `lsp/src/main.ts`) over IPC, contributes the
 * commands (check, format, build pack, inspect pack, run fixtures, show output)
 * and puts `*.fmtest.json` fixture cases in the Test Explorer.
 *
 * Everything that can be decided without VS Code lives in `./logic/*` (tested
 * with uvu); this file is the boundary.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import {
  buildArgs,
  checkArgs,
  COMMAND_IDS,
  formatArgs,
  inspectArgs,
  packPathFor,
  readSettings,
  resolveFmsc,
  testArgs,
  verifyArgs,
  type CommandId,
  type FmsSettings,
  type Invocation,
} from './logic/commands';
import { readFixture, type FixtureCase } from './logic/fixtures';
import { parseTestOutput, resultsByCase } from './logic/test-output';

/** The language id of governance.fms / *.fpl. */
export const LANGUAGE_ID = 'fms';
/** The bundled server, relative to the extension folder. */
export const SERVER_RELATIVE_PATH = join('dist', 'server.js');

/** Creates the language client; replaced in tests to observe what would be started. */
export const internals = {
  createClient(serverModule: string, settings: FmsSettings, output: vscode.LogOutputChannel): LanguageClient {
    const run = { module: serverModule, transport: TransportKind.ipc };
    const serverOptions: ServerOptions = { run, debug: { ...run, options: { execArgv: ['--nolazy', '--inspect=6009'] } } };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: LANGUAGE_ID },
        { scheme: 'untitled', language: LANGUAGE_ID },
        // fixtures: the server's schema/agent diagnostics and per-case lenses (run, explain with this case)
        { scheme: 'file', language: 'json', pattern: '**/*.fmtest.json' },
      ],
      outputChannel: output,
      initializationOptions: { trustFile: settings.trustFile, registry: settings.registry },
      synchronize: { configurationSection: 'fms' },
    };
    return new LanguageClient('fms', 'FPL language server', serverOptions, clientOptions);
  },
};

let client: LanguageClient | undefined;

/** Runs fmsc with `inv`; resolves with its exit code and output (never rejects). */
function runFmsc(fmsc: string, inv: Invocation, cwd: string | undefined): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(fmsc, inv.args, { cwd, env: { ...process.env, NO_COLOR: '1' }, shell: false });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) => resolve({ code: -1, stdout, stderr: `${stderr}cannot run ${fmsc}: ${e.message} (set fms.fmscPath)\n` }));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(inv.stdin ?? '');
  });
}

/** Activates the extension: language client, commands, Test Explorer controller. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('FPL', { log: true });
  context.subscriptions.push(output);
  const settings = (): FmsSettings => {
    const cfg = vscode.workspace.getConfiguration('fms');
    return readSettings((k) => cfg.get(k));
  };
  const roots = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
  const fmsc = (): string => resolveFmsc(settings(), roots(), existsSync, join);

  const serverModule = context.asAbsolutePath(SERVER_RELATIVE_PATH);
  if (existsSync(serverModule)) {
    client = internals.createClient(serverModule, settings(), output);
    void client.start().catch((e: unknown) => output.appendLine(`the language server did not start: ${e instanceof Error ? e.message : String(e)}`));
  } else {
    output.appendLine(`no language server in this build (${serverModule} is missing): highlighting and commands only`);
  }

  const activeFile = (exts: RegExp): string | undefined => {
    const doc = vscode.window.activeTextEditor?.document;
    return doc && doc.uri.scheme === 'file' && exts.test(doc.fileName) ? doc.fileName : undefined;
  };
  const report = async (title: string, r: { code: number; stdout: string; stderr: string }): Promise<void> => {
    output.appendLine(`$ fmsc ${title} → exit ${r.code}`);
    if (r.stdout) output.append(r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`);
    if (r.stderr) output.append(r.stderr.endsWith('\n') ? r.stderr : `${r.stderr}\n`);
    if (r.code !== 0) {
      const first = (r.stderr || r.stdout).split('\n').find((l) => l.trim()) ?? `exit ${r.code}`;
      void vscode.window.showErrorMessage(`fmsc ${title}: ${first}`);
    }
  };
  const needFile = (file: string | undefined, what: string): file is string => {
    if (!file) void vscode.window.showWarningMessage(`Open ${what} first.`);
    return file !== undefined;
  };

  const fixtures = createFixtureTests(fmsc, settings, output);
  context.subscriptions.push(fixtures);

  const handlers: Record<CommandId, (...args: unknown[]) => unknown> = {
    'fms.check': async () => {
      const file = activeFile(/\.(fms|fpl)$/i);
      if (!needFile(file, 'a governance.fms file')) return;
      await vscode.window.activeTextEditor?.document.save();
      const r = await runFmsc(fmsc(), checkArgs(file, settings()), dirname(file));
      output.appendLine(`$ fmsc check ${file} → exit ${r.code}`);
      output.append(r.stdout + r.stderr);
      if (r.code === 0) void vscode.window.showInformationMessage('fmsc check: no problems');
      else if (r.code === 1) void vscode.window.showWarningMessage('fmsc check found problems (see the Problems view and the FPL output)');
      else void report('check', r);
    },
    'fms.format': async () => {
      const editor = vscode.window.activeTextEditor;
      if (!editor || editor.document.languageId !== LANGUAGE_ID) return void vscode.window.showWarningMessage('Open a governance.fms file first.');
      const doc = editor.document;
      const r = await runFmsc(fmsc(), formatArgs(doc.getText()), roots()[0]);
      if (r.code !== 0) return report('fmt -', r);
      if (r.stdout === doc.getText()) return;
      const all = new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length));
      await editor.edit((e) => e.replace(all, r.stdout));
    },
    'fms.buildPack': async () => {
      const file = activeFile(/\.(fms|fpl)$/i);
      if (!needFile(file, 'a governance.fms file')) return;
      await vscode.window.activeTextEditor?.document.save();
      const r = await runFmsc(fmsc(), buildArgs(file, settings()), dirname(file));
      await report(`build ${file}`, r);
      if (r.code === 0) void vscode.window.showInformationMessage(`Pack written: ${packPathFor(file)}`);
    },
    'fms.inspectPack': async (arg?: unknown) => {
      let pack = arg instanceof vscode.Uri ? arg.fsPath : activeFile(/\.fmspack$/i);
      if (!pack) {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { 'Policy pack': ['fmspack'] } });
        pack = picked?.[0]?.fsPath;
      }
      if (!needFile(pack, 'a .fmspack')) return;
      const verify = verifyArgs(pack, settings());
      if (verify) {
        const v = await runFmsc(fmsc(), verify, dirname(pack));
        await report(`verify ${pack}`, v);
        if (v.code !== 0) return;
      }
      const r = await runFmsc(fmsc(), inspectArgs(pack), dirname(pack));
      await report(`inspect ${pack}`, r);
      if (r.code === 0) {
        const doc = await vscode.workspace.openTextDocument({ content: r.stdout, language: 'plaintext' });
        await vscode.window.showTextDocument(doc, { preview: true });
      }
    },
    'fms.runFixtures': async () => {
      // Runs every fixture of this controller (not other extensions' tests); results appear in the Test Explorer.
      output.show(true);
      await fixtures.runAll();
    },
    'fms.showOutput': () => output.show(true),
  };
  for (const id of COMMAND_IDS) context.subscriptions.push(vscode.commands.registerCommand(id, handlers[id]));

}

/** The Test Explorer controller: one item per `*.fmtest.json`, one child per case, run through `fmsc test`. */
function createFixtureTests(fmsc: () => string, settings: () => FmsSettings, output: vscode.OutputChannel): vscode.Disposable & { runAll(): Promise<void> } {
  const ctrl = vscode.tests.createTestController('fmsFixtures', 'FPL fixtures');
  const casesOf = new Map<string, FixtureCase[]>();

  const load = async (uri: vscode.Uri): Promise<void> => {
    const item = ctrl.items.get(uri.toString()) ?? ctrl.createTestItem(uri.toString(), vscode.workspace.asRelativePath(uri), uri);
    ctrl.items.add(item);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const fx = readFixture(text);
    if (!fx.ok) {
      item.error = fx.reason;
      item.children.replace([]);
      return;
    }
    item.error = undefined;
    casesOf.set(uri.toString(), fx.cases);
    item.children.replace(
      fx.cases.map((c) => {
        const child = ctrl.createTestItem(`${uri.toString()}#${c.id}`, c.name, uri);
        child.range = new vscode.Range(c.line, 0, c.line, 0);
        return child;
      }),
    );
  };
  const discover = async (): Promise<void> => {
    for (const uri of await vscode.workspace.findFiles('**/*.fmtest.json', '**/node_modules/**')) await load(uri);
  };
  ctrl.resolveHandler = async (item) => {
    if (!item) await discover();
    else if (item.uri) await load(item.uri);
  };
  const watcher = vscode.workspace.createFileSystemWatcher('**/*.fmtest.json');
  watcher.onDidCreate((u) => void load(u));
  watcher.onDidChange((u) => void load(u));
  watcher.onDidDelete((u) => {
    ctrl.items.delete(u.toString());
    casesOf.delete(u.toString());
  });

  const runHandler = async (request: vscode.TestRunRequest, token: vscode.CancellationToken): Promise<void> => {
    const run = ctrl.createTestRun(request);
    const fixtures = new Map<string, vscode.TestItem>();
    const wanted = new Set<string>();
    const queue: vscode.TestItem[] = request.include ? [...request.include] : [];
    if (!request.include) ctrl.items.forEach((i) => queue.push(i));
    for (const item of queue) {
      const fixture = item.parent ?? item;
      fixtures.set(fixture.id, fixture);
      if (item.parent) wanted.add(item.id);
      else item.children.forEach((c) => wanted.add(c.id));
    }
    for (const fixture of fixtures.values()) {
      if (token.isCancellationRequested || !fixture.uri) break;
      const kids: vscode.TestItem[] = [];
      fixture.children.forEach((c) => {
        if (wanted.has(c.id) && !request.exclude?.includes(c)) kids.push(c);
      });
      kids.forEach((k) => run.started(k));
      const r = await runFmsc(fmsc(), testArgs([fixture.uri.fsPath], settings()), dirname(fixture.uri.fsPath));
      run.appendOutput(`${r.stdout}${r.stderr}`.replace(/\r?\n/g, '\r\n'));
      const byId = resultsByCase(casesOf.get(fixture.id) ?? [], parseTestOutput(r.stdout));
      for (const k of kids) {
        const res = byId.get(k.id.slice(fixture.id.length + 1));
        if (!res) run.errored(k, new vscode.TestMessage(r.stderr.trim().split('\n')[0] || `fmsc test exited ${r.code} before this case`));
        else if (res.passed) run.passed(k);
        else run.failed(k, new vscode.TestMessage(res.message ?? 'failed'));
      }
      if (r.code > 1 || r.code < 0) output.appendLine(`fmsc test ${fixture.uri.fsPath}: exit ${r.code}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
    run.end();
  };
  const profile = ctrl.createRunProfile('Run', vscode.TestRunProfileKind.Run, runHandler, true);
  const disposable = vscode.Disposable.from(ctrl, watcher);
  return {
    dispose: () => disposable.dispose(),
    runAll: async () => {
      await discover();
      const cancel = new vscode.CancellationTokenSource();
      try {
        await runHandler(new vscode.TestRunRequest(undefined, undefined, profile), cancel.token);
      } finally {
        cancel.dispose();
      }
    },
  };
}

/** Stops the language client. */
export function deactivate(): Thenable<void> | undefined {
  return client?.stop();
}
