/**
 * `npm run bench:lsp`: the language server as an editor sees it. Spawns the
 * bundled `dist/fms-lsp.mjs` over stdio and prints one table:
 * - server start (spawn) to the first diagnostics of an opened 5,000-line policy;
 * - diagnostics after an edit of that policy: p50/p95 over 50 edits, from the
 *   `didChange` to the `publishDiagnostics` of that version (debounce set to 0,
 *   so this is the server's own work plus transport; an editor adds the
 *   debounce, 150 ms by default);
 * - completion and hover round trips on the same document (p50/p95 over 50);
 * - re-deciding 1,000 fixture cases against that policy (the decision preview), in process.
 * Prints; asserts nothing about time.
 */
import { cpus } from 'node:os';
import {
  CompletionRequest,
  DidChangeTextDocumentNotification,
  DidOpenTextDocumentNotification,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  ShutdownRequest,
} from 'vscode-languageserver-protocol/node';
import { CAPS, startClient } from '../lsp/lsp-client';
import { generatePolicy } from './check-bench';
import { compile } from '@fms/compiler';
import { runFixtures, type Fixture } from '@fms/lsp';

/** Re-deciding 1,000 fixture cases against the 5,000-line policy (in process, the preview's work after a compile): median of 7. */
function fixtureRow(text: string): { name: string; value: string } {
  const ir = compile(text, 'governance.fms', { env: {} }).ir!;
  const fx: Fixture = {
    path: 'bench.fmtest.json',
    agent_id: 'agent-0',
    cases: Array.from({ length: 1000 }, (_, i) => ({ name: `c${i}`, agent_id: `agent-${i % 10}`, tool: `svc${i % 30}/read_${i % 10}`, args: { amount: i % 200 }, principal: { groups: ['ops'] }, expect: { effect: 'permit' } })),
  };
  const ts: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t = process.hrtime.bigint();
    runFixtures(ir, [fx], 1_700_000_000_000);
    ts.push(ms(t));
  }
  ts.sort((a, b) => a - b);
  return { name: 'fms-lsp: re-decide 1,000 fixture cases (median of 7)', value: `${ts[3]!.toFixed(1)} ms (target ≤ 100 ms)` };
}

const URI = 'file:///nonexistent-fms-bench/governance.fms';
const EDITS = 50;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Runs the benchmark and returns its rows. */
export async function benchLsp(): Promise<{ name: string; value: string }[]> {
  const text = generatePolicy(5_000);
  const lines = text.split('\n').length;
  const t0 = process.hrtime.bigint();
  const nodeArgs = process.env.FMS_LSP_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: '/nonexistent-fms-registry' }, nodeArgs);
  try {
    await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions: { debounceMs: 0 } });
    await c.conn.sendNotification(InitializedNotification.type, {});
    const first = c.diagnostics(URI, undefined, 30_000);
    await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'fpl', version: 1, text } });
    const d1 = await first;
    const startMs = ms(t0);
    if (d1.diagnostics.some((d) => d.severity === 1)) throw new Error(`benchmark policy has errors: ${d1.diagnostics[0]!.message}`);

    // Edits: change one amount deep in the file (alternating), wait for that version's diagnostics.
    const target = text.indexOf('amount < $100 ', Math.floor(text.length / 2));
    const before = text.slice(0, target);
    const line = before.split('\n').length - 1;
    const character = target - before.lastIndexOf('\n') - 1 + 'amount < $'.length;
    const editTimes: number[] = [];
    for (let v = 2; v < 2 + EDITS; v++) {
      const wait = c.diagnostics(URI, (p) => p.version === v, 30_000);
      const t = process.hrtime.bigint();
      await c.conn.sendNotification(DidChangeTextDocumentNotification.type, {
        textDocument: { uri: URI, version: v },
        contentChanges: [{ range: { start: { line, character }, end: { line, character: character + 3 } }, text: v % 2 ? '200' : '100' }],
      });
      await wait;
      editTimes.push(ms(t));
    }
    const compTimes: number[] = [];
    const hoverTimes: number[] = [];
    for (let i = 0; i < EDITS; i++) {
      let t = process.hrtime.bigint();
      await c.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: URI }, position: { line, character: character - 3 } });
      compTimes.push(ms(t));
      t = process.hrtime.bigint();
      await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri: URI }, position: { line, character: 6 } });
      hoverTimes.push(ms(t));
    }
    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    await c.exited;
    const f = (x: number): string => `${x.toFixed(1)} ms`;
    return [
      { name: 'fms-lsp: policy', value: `${lines} lines, ${(text.length / 1024).toFixed(0)} KiB` },
      { name: 'fms-lsp: spawn → first diagnostics', value: `${f(startMs)} (target ≤ 500 ms)` },
      { name: `fms-lsp: edit → diagnostics, p50 / p95 of ${EDITS}`, value: `${f(pct(editTimes, 50))} / ${f(pct(editTimes, 95))} (target p95 ≤ 100 ms, debounce 0)` },
      { name: `fms-lsp: completion, p50 / p95 of ${EDITS}`, value: `${f(pct(compTimes, 50))} / ${f(pct(compTimes, 95))} (target ≤ 20 ms)` },
      { name: `fms-lsp: hover, p50 / p95 of ${EDITS}`, value: `${f(pct(hoverTimes, 50))} / ${f(pct(hoverTimes, 95))} (target ≤ 20 ms)` },
      fixtureRow(text),
    ];
  } finally {
    c.conn.dispose();
    c.proc.kill();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchLsp();
  const w = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(w)}  ${r.value}\n`);
}
