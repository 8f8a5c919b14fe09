/**
 * A real LSP client over stdio against the bundled server `dist/fms-lsp.mjs`
 * (vscode-languageserver-protocol's JSON-RPC connection). Collects published
 * diagnostics so tests can wait for them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  PublishDiagnosticsNotification,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type ClientCapabilities,
} from 'vscode-languageserver-protocol/node';
import { ROOT } from '../helpers/paths';

export const SERVER = join(ROOT, 'dist/fms-lsp.mjs');

export interface Client {
  conn: ProtocolConnection;
  proc: ChildProcess;
  /** Resolves with the next diagnostics for `uri` that satisfy `pred`. */
  diagnostics(uri: string, pred?: (p: PublishDiagnosticsParams) => boolean, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  exited: Promise<number | null>;
  stderr: () => string;
  /** Every diagnostics notification received so far for `uri`, in order. */
  published(uri: string): PublishDiagnosticsParams[];
}

/** How to spawn the server: node options before the script (e.g. `--cpu-prof`), another server bundle (A/B benchmarks). */
export interface SpawnOptions {
  nodeArgs?: string[];
  server?: string;
}

/** Spawns the bundled server on stdio and connects (not yet initialised). */
export function startClient(args: string[] = ['--stdio'], env: NodeJS.ProcessEnv = process.env, spawnOpts: SpawnOptions = {}): Client {
  const proc = spawn(process.execPath, [...(spawnOpts.nodeArgs ?? []), spawnOpts.server ?? SERVER, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let err = '';
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
  const seen: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    seen.push(p);
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i]!;
      if (w.uri === p.uri && w.pred(p)) {
        waiters.splice(i, 1);
        w.resolve(p);
      }
    }
  });
  conn.listen();
  const exited = new Promise<number | null>((res) => proc.on('exit', (code) => res(code)));
  return {
    conn,
    proc,
    exited,
    stderr: () => err,
    published: (uri) => seen.filter((p) => p.uri === uri),
    diagnostics(uri, pred = () => true, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri} within ${timeoutMs} ms; seen ${JSON.stringify(seen.map((s) => s.diagnostics.map((d) => d.code)))}`)), timeoutMs);
        waiters.push({ uri, pred, resolve: (p) => (clearTimeout(t), resolve(p)) });
      });
    },
  };
}

/** Capabilities of a client that supports everything the server offers, except pull diagnostics (so the server pushes). */
export const CAPS: ClientCapabilities = {
  textDocument: {
    synchronization: { dynamicRegistration: false },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    completion: { completionItem: { snippetSupport: true } },
    publishDiagnostics: { relatedInformation: true, tagSupport: { valueSet: [1, 2] }, codeDescriptionSupport: true },
    rename: { prepareSupport: true },
  },
  workspace: {},
};
