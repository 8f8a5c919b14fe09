/**
 * A minimal stand-in for the `vscode` module: enough of the API for the
 * extension's `activate` (and vscode-languageclient's constructor) to run in
 * plain Node, recording what the extension registers. Anything not modelled
 * is a permissive stub (a callable that returns another stub), so a new API
 * use does not crash the test; what the tests assert on is modelled exactly.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';

const uriOf = (p: string) => ({ fsPath: p, scheme: 'file', path: p, toString: () => `file://${p}` });

export interface Recorded {
  commands: Map<string, (...a: unknown[]) => unknown>;
  /** Test run events: [event, test item id, message?]. */
  runs: [string, string, string?][];
  outputChannels: string[];
  testControllers: { id: string; label: string; profiles: string[] }[];
  watchers: string[];
  lines: string[];
}

type Stub = ((...a: unknown[]) => Stub) & Record<string, unknown>;

/** A callable object whose every property is another stub (never thenable). */
export function stub(path = 'vscode'): Stub {
  const fn = function () {
    return stub(`${path}()`);
  } as unknown as Stub;
  return new Proxy(fn, {
    get(target, key) {
      if (key === 'then') return undefined;
      if (key === Symbol.toPrimitive) return () => path;
      if (typeof key === 'symbol') return undefined;
      if (key in target) return (target as unknown as Record<string, unknown>)[key];
      return stub(`${path}.${key}`);
    },
  });
}

class Disposable {
  constructor(private readonly fn: () => void = () => {}) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (l: (e: T) => void): Disposable => {
    this.listeners.push(l);
    return new Disposable();
  };
  fire(e: T): void {
    this.listeners.forEach((l) => l(e));
  }
  dispose(): void {}
}

/** Builds the stand-in and the record of what was registered. */
export function createStandIn(): {
  vscode: Record<string, unknown>;
  recorded: Recorded;
  control: { set(k: string, v: unknown): unknown; folders(p: string[]): unknown; fixtures(p: string[]): unknown };
} {
  const recorded: Recorded = { runs: [], commands: new Map(), outputChannels: [], testControllers: [], watchers: [], lines: [] };
  const channel = (name: string): Record<string, unknown> => {
    recorded.outputChannels.push(name);
    const c = stub(`channel(${name})`);
    return new Proxy(
      {
        name,
        appendLine: (l: string) => recorded.lines.push(l),
        append: (l: string) => recorded.lines.push(l),
        show: () => {},
        dispose: () => {},
        logLevel: 2,
        onDidChangeLogLevel: () => new Disposable(),
        trace: () => {},
        debug: () => {},
        info: () => {},
        warn: () => {},
        error: () => {},
      },
      { get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : k === 'then' ? undefined : (c as Record<string | symbol, unknown>)[k]) },
    );
  };
  type Item = { id: string; parent?: Item; children: ReturnType<typeof items> };
  const items = (owner?: Item) => {
    const m = new Map<string, Item>();
    return {
      add: (i: Item) => {
        if (owner) i.parent = owner;
        m.set(i.id, i);
      },
      get: (id: string) => m.get(id),
      delete: (id: string) => m.delete(id),
      replace: (list: Item[]) => {
        m.clear();
        for (const i of list) {
          if (owner) i.parent = owner;
          m.set(i.id, i);
        }
      },
      forEach: (f: (i: Item) => void) => m.forEach((v) => f(v)),
      get size() {
        return m.size;
      },
    };
  };
  const config: Record<string, unknown> = {};
  let folders: { uri: { fsPath: string } }[] | undefined;
  let fixtureFiles: string[] = [];
  const vscode: Record<string, unknown> = {
    version: '1.91.0',
    Disposable,
    EventEmitter,
    Uri: class Uri {
      static file(p: string) {
        return uriOf(p);
      }
    },
    Range: class Range {
      constructor(...a: unknown[]) {
        Object.assign(this, { a });
      }
    },
    TestMessage: class TestMessage {
      constructor(public message: string) {}
    },
    TestRunProfileKind: { Run: 1, Debug: 2, Coverage: 3 },
    TestRunRequest: class TestRunRequest {
      constructor(
        public include?: unknown[],
        public exclude?: unknown[],
        public profile?: unknown,
      ) {}
    },
    CancellationTokenSource: class CancellationTokenSource {
      token = { isCancellationRequested: false, onCancellationRequested: () => new Disposable() };
      cancel(): void {
        this.token.isCancellationRequested = true;
      }
      dispose(): void {}
    },
    commands: {
      registerCommand: (id: string, fn: (...a: unknown[]) => unknown) => {
        if (recorded.commands.has(id)) throw new Error(`command ${id} registered twice`);
        recorded.commands.set(id, fn);
        return new Disposable(() => recorded.commands.delete(id));
      },
      executeCommand: async () => undefined,
      getCommands: async () => [...recorded.commands.keys()],
    },
    window: new Proxy(
      {
        createOutputChannel: (name: string) => channel(name),
        showErrorMessage: async () => undefined,
        showWarningMessage: async () => undefined,
        showInformationMessage: async () => undefined,
        activeTextEditor: undefined,
      },
      { get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : k === 'then' ? undefined : stub(`window.${String(k)}`)) },
    ),
    workspace: new Proxy(
      {
        get workspaceFolders() {
          return folders;
        },
        getConfiguration: () => ({ get: (k: string, d?: unknown) => (k in config ? config[k] : d), has: (k: string) => k in config, inspect: () => undefined, update: async () => {} }),
        findFiles: async () => fixtureFiles.map((f) => uriOf(f)),
        fs: { readFile: async (u: { fsPath: string }) => new Uint8Array(readFileSync(u.fsPath)) },
        asRelativePath: (u: { fsPath: string }) => u.fsPath,
        createFileSystemWatcher: (glob: string) => {
          recorded.watchers.push(glob);
          return { onDidCreate: () => new Disposable(), onDidChange: () => new Disposable(), onDidDelete: () => new Disposable(), dispose: () => {} };
        },
        textDocuments: [],
        onDidChangeConfiguration: () => new Disposable(),
      },
      { get: (t, k) => (k in t ? (t as Record<string | symbol, unknown>)[k] : k === 'then' ? undefined : stub(`workspace.${String(k)}`)) },
    ),
    tests: {
      createTestController: (id: string, label: string) => {
        const rec = { id, label, profiles: [] as string[] };
        recorded.testControllers.push(rec);
        return {
          id,
          label,
          items: items(),
          createTestItem: (itemId: string, itemLabel: string, uri?: unknown) => {
            const item = { id: itemId, label: itemLabel, uri } as unknown as Item;
            item.children = items(item);
            return item;
          },
          createRunProfile: (name: string, _kind: number, handler: unknown) => {
            void handler;
            rec.profiles.push(name);
            return { dispose: () => {} };
          },
          createTestRun: () => ({
            started: (i: Item) => recorded.runs.push(['started', i.id]),
            passed: (i: Item) => recorded.runs.push(['passed', i.id]),
            failed: (i: Item, m: { message: string }) => recorded.runs.push(['failed', i.id, m.message]),
            errored: (i: Item, m: { message: string }) => recorded.runs.push(['errored', i.id, m.message]),
            appendOutput: () => {},
            end: () => recorded.runs.push(['end', '']),
          }),
          resolveHandler: undefined,
          dispose: () => {},
        };
      },
    },
  };
  const control = {
    /** Sets an `fms.*` setting. */
    set: (k: string, v: unknown) => (config[k] = v),
    /** Sets the workspace folders. */
    folders: (paths: string[]) => (folders = paths.map((p) => ({ uri: uriOf(p) }))),
    /** The files `findFiles('**\/*.fmtest.json')` returns. */
    fixtures: (paths: string[]) => (fixtureFiles = paths),
  };
  return { control, vscode: new Proxy(vscode, { get: (t, k) => (k in t ? t[k as string] : k === 'then' || typeof k === 'symbol' ? undefined : stub(`vscode.${String(k)}`)) }), recorded };
}

/** Makes `require('vscode')` return `standIn` until the returned function is called. */
export function interceptVscode(standIn: unknown): () => void {
  const M = Module as unknown as { _load: (req: string, parent: unknown, isMain: boolean) => unknown };
  const original = M._load;
  M._load = function (req: string, parent: unknown, isMain: boolean) {
    if (req === 'vscode') return standIn;
    return original.call(this, req, parent, isMain);
  };
  return () => {
    M._load = original;
  };
}
