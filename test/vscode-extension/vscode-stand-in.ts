/**
 * A minimal stand-in for the `vscode` module: enough of the API for the
 * extension's `activate` (and vscode-languageclient's constructor) to run in
 * plain Node, recording what the extension registers. Anything not modelled
 * is a permissive stub (a callable that returns another stub), so a new API
 * use does not crash the test; what the tests assert on is modelled exactly.
 */
import Module from 'node:module';

export interface Recorded {
  commands: Map<string, (...a: unknown[]) => unknown>;
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
export function createStandIn(): { vscode: Record<string, unknown>; recorded: Recorded } {
  const recorded: Recorded = { commands: new Map(), outputChannels: [], testControllers: [], watchers: [], lines: [] };
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
  const items = () => {
    const m = new Map<string, unknown>();
    return { add: (i: { id: string }) => m.set(i.id, i), get: (id: string) => m.get(id), delete: (id: string) => m.delete(id), replace: () => {}, forEach: (f: (i: unknown) => void) => m.forEach((v) => f(v)), get size() { return m.size; } };
  };
  const vscode: Record<string, unknown> = {
    version: '1.91.0',
    Disposable,
    EventEmitter,
    Uri: class Uri {
      static file(p: string) {
        return { fsPath: p, scheme: 'file', toString: () => `file://${p}` };
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
        workspaceFolders: undefined,
        getConfiguration: () => ({ get: (_k: string, d?: unknown) => d, has: () => false, inspect: () => undefined, update: async () => {} }),
        createFileSystemWatcher: (glob: string) => {
          recorded.watchers.push(glob);
          return { onDidCreate: () => new Disposable(), onDidChange: () => new Disposable(), onDidDelete: () => new Disposable(), dispose: () => {} };
        },
        findFiles: async () => [],
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
          createTestItem: (itemId: string, itemLabel: string, uri?: unknown) => ({ id: itemId, label: itemLabel, uri, children: items() }),
          createRunProfile: (name: string) => {
            rec.profiles.push(name);
            return { dispose: () => {} };
          },
          createTestRun: () => stub('testRun'),
          resolveHandler: undefined,
          dispose: () => {},
        };
      },
    },
  };
  return { vscode: new Proxy(vscode, { get: (t, k) => (k in t ? t[k as string] : k === 'then' || typeof k === 'symbol' ? undefined : stub(`vscode.${String(k)}`)) }), recorded };
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
