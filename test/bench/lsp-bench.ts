/**
 * `npm run bench:lsp`: the language server as an editor sees it. Spawns the
 * bundled `dist/fms-lsp.mjs` over stdio and prints one table:
 * - server start (spawn) to the first diagnostics of an opened 5,000-line policy;
 * - edit → the diagnostics of that version: p50/p95 over 50 edits, from the
 *   `didChange` to the `publishDiagnostics` carrying that version, with the
 *   debounce set to 0 (the server's own work plus transport). The edits are
 *   what typing does to a clean policy, spread over the file: an amount gets a
 *   digit longer or shorter, a comment line comes and goes, a rule line is
 *   added and removed, a reason string changes;
 * - the same with the default debounce (150 ms): what an editor waits, reported
 *   apart so the server's time is not hidden in it;
 * - completion and hover round trips on the same document (p50/p95 over 50);
 * - re-deciding 1,000 fixture cases against that policy (the decision preview), in process.
 * Prints; asserts nothing about time. For interleaved A/B runs against another
 * build: `FMS_LSP_SERVER=path/to/other/fms-lsp.mjs`; node options for the
 * server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`): `FMS_LSP_BENCH_NODE_ARGS`.
 */
import { readFileSync } from 'node:fs';
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
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CAPS, startClient, type Client } from '../lsp/lsp-client';
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
const DEBOUNCED_EDITS = 10;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * The `i`-th edit of the typing sequence on `doc` (a clean policy stays clean):
 * pairs that do and undo a change, each pair at another agent of the file.
 */
function typingEdit(doc: TextDocument, i: number): TextDocumentContentChangeEvent {
  const text = doc.getText();
  const agent = 3 + ((Math.floor(i / 2) * 7) % 50);
  const at = text.indexOf(`agent "agent-${agent}" {`);
  const range = (s: number, e: number) => ({ range: { start: doc.positionAt(s), end: doc.positionAt(e) } });
  switch (Math.floor(i / 2) % 4) {
    case 0: {
      // An amount one digit longer, then back.
      const p = text.indexOf('amount < $10', at) + 'amount < $10'.length;
      return i % 2 === 0 ? { ...range(p, p), text: '0' } : { ...range(p, p + 1), text: '' };
    }
    case 1: {
      // A comment line typed above a rule, then deleted.
      const line = '    # checked with finance\n';
      const p = i % 2 === 0 ? text.indexOf('    permit', at) : text.indexOf(line, at);
      return i % 2 === 0 ? { ...range(p, p), text: line } : { ...range(p, p + line.length), text: '' };
    }
    case 2: {
      // A rule line added, then removed.
      const line = '    permit audit/read_log if principal.groups contains "audit"\n';
      const p = i % 2 === 0 ? text.indexOf('    permit', at) : text.indexOf(line, at);
      return i % 2 === 0 ? { ...range(p, p), text: line } : { ...range(p, p + line.length), text: '' };
    }
    default: {
      // A reason changed, then changed back.
      const p = text.indexOf('need approval"', at);
      return i % 2 === 0 ? { ...range(p, p + 'need'.length), text: 'require' } : { ...range(p, p + 'require'.length), text: 'need' };
    }
  }
}

/** Sends `n` typing edits and times each one's diagnostics (of that version). */
async function timeEdits(c: Client, doc: { current: TextDocument }, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let k = 0; k < n; k++) {
    const v = doc.current.version + 1;
    const change = typingEdit(doc.current, v);
    doc.current = TextDocument.update(doc.current, [change], v);
    const wait = c.diagnostics(URI, (p) => p.version === v, 30_000);
    const t = process.hrtime.bigint();
    await c.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: URI, version: v }, contentChanges: [change] });
    const d = await wait;
    times.push(ms(t));
    if (d.diagnostics.some((x) => x.severity === 1)) throw new Error(`edit ${v} made an error: ${d.diagnostics[0]!.message}`);
  }
  return times;
}

/**
 * CPU time (user + system, ms) the server process has used so far, from
 * `/proc/PID/stat` (Linux; undefined elsewhere). Unlike wall time it hardly
 * moves with the machine's load, so it is reported beside it.
 */
function serverCpuMs(c: Client): number | undefined {
  try {
    const stat = readFileSync(`/proc/${c.proc.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
  } catch {
    return undefined;
  }
}

/** Spawns a server, opens the policy and waits for its first diagnostics; returns the client and the time that took. */
async function open(text: string, initializationOptions: object): Promise<{ c: Client; startMs: number; startCpu: number | undefined }> {
  const nodeArgs = process.env.FMS_LSP_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const t0 = process.hrtime.bigint();
  const c = startClient(['--stdio'], { ...process.env, FMS_REGISTRY: '/nonexistent-fms-registry' }, { nodeArgs, ...(process.env.FMS_LSP_SERVER ? { server: process.env.FMS_LSP_SERVER } : {}) });
  await c.conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: null, capabilities: CAPS, initializationOptions });
  await c.conn.sendNotification(InitializedNotification.type, {});
  const first = c.diagnostics(URI, undefined, 30_000);
  await c.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: URI, languageId: 'fpl', version: 1, text } });
  const d1 = await first;
  const startMs = ms(t0);
  const startCpu = serverCpuMs(c);
  if (d1.diagnostics.some((d) => d.severity === 1)) throw new Error(`benchmark policy has errors: ${d1.diagnostics[0]!.message}`);
  return { c, startMs, startCpu };
}

async function close(c: Client): Promise<void> {
  try {
    await c.conn.sendRequest(ShutdownRequest.type);
    await c.conn.sendNotification(ExitNotification.type);
    await c.exited;
  } finally {
    c.conn.dispose();
    c.proc.kill();
  }
}

/** Runs the benchmark and returns its rows. */
export async function benchLsp(): Promise<{ name: string; value: string }[]> {
  const text = generatePolicy(5_000);
  const lines = text.split('\n').length;
  const { c, startMs, startCpu } = await open(text, { debounceMs: 0 });
  let editTimes: number[];
  let editCpu: number | undefined;
  const compTimes: number[] = [];
  const hoverTimes: number[] = [];
  try {
    const cpu0 = serverCpuMs(c);
    editTimes = await timeEdits(c, { current: TextDocument.create(URI, 'fpl', 1, text) }, EDITS);
    const cpu1 = serverCpuMs(c);
    if (cpu0 !== undefined && cpu1 !== undefined) editCpu = (cpu1 - cpu0) / EDITS;
    const target = text.indexOf('amount < $100 ', Math.floor(text.length / 2));
    const before = text.slice(0, target);
    const line = before.split('\n').length - 1;
    const character = target - before.lastIndexOf('\n') - 1 + 'amount < $'.length;
    for (let i = 0; i < EDITS; i++) {
      let t = process.hrtime.bigint();
      await c.conn.sendRequest(CompletionRequest.type, { textDocument: { uri: URI }, position: { line, character: character - 3 } });
      compTimes.push(ms(t));
      t = process.hrtime.bigint();
      await c.conn.sendRequest(HoverRequest.type, { textDocument: { uri: URI }, position: { line, character: 6 } });
      hoverTimes.push(ms(t));
    }
  } finally {
    await close(c);
  }
  // A second server with the default debounce (150 ms), as an editor without settings gets it.
  const s2 = await open(text, {});
  let debounced: number[];
  try {
    debounced = await timeEdits(s2.c, { current: TextDocument.create(URI, 'fpl', 1, text) }, DEBOUNCED_EDITS);
  } finally {
    await close(s2.c);
  }
  const f = (x: number): string => `${x.toFixed(1)} ms`;
  return [
    { name: 'fms-lsp: policy', value: `${lines} lines, ${(text.length / 1024).toFixed(0)} KiB` },
    { name: 'fms-lsp: spawn → first diagnostics (two servers)', value: `${f(startMs)}, ${f(s2.startMs)} (target ≤ 500 ms)` },
    { name: 'fms-lsp: server CPU to first diagnostics (first server)', value: startCpu === undefined ? 'n/a (no /proc)' : f(startCpu) },
    { name: `fms-lsp: edit → diagnostics, p50 / p95 of ${EDITS}`, value: `${f(pct(editTimes, 50))} / ${f(pct(editTimes, 95))} (target p95 ≤ 100 ms; debounce 0)` },
    { name: `fms-lsp: server CPU per edit (mean of ${EDITS})`, value: editCpu === undefined ? 'n/a (no /proc)' : f(editCpu) },
    { name: `fms-lsp: edit → diagnostics with the 150 ms debounce, p50 / max of ${DEBOUNCED_EDITS}`, value: `${f(pct(debounced, 50))} / ${f(Math.max(...debounced))}` },
    { name: `fms-lsp: completion, p50 / p95 of ${EDITS}`, value: `${f(pct(compTimes, 50))} / ${f(pct(compTimes, 95))} (target ≤ 20 ms)` },
    { name: `fms-lsp: hover, p50 / p95 of ${EDITS}`, value: `${f(pct(hoverTimes, 50))} / ${f(pct(hoverTimes, 95))} (target ≤ 20 ms)` },
    fixtureRow(text),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchLsp();
  const w = Math.max(...rows.map((r) => r.name.length));
  process.stdout.write(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}\n`);
  for (const r of rows) process.stdout.write(`${r.name.padEnd(w)}  ${r.value}\n`);
}
