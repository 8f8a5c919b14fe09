/**
 * `npm run bench`: one process, one table. For 10 / 1,000 / 10,000-rule packs:
 * emit time, pack body size, load time (parse + verify + index: the median in
 * this process, and the first load in a fresh process), decisions per
 * second, p50/p99 latency of a pre-parsed call through the full pipeline
 * (rules, rate limit, budget), the JSON-string → JSON-answer latency, and the
 * same for @cedar-policy/cedar-wasm in its best mode (a preparsed policy set
 * per action: per-action slicing), with the ratio.
 *
 * Latencies are measured per decision with process.hrtime.bigint(); the timer's
 * own cost (measured on an empty body) is subtracted.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

import { freshRuns } from './fresh';
import { type Engine, loadEngine } from './load-engine';
import { benchCheckCli, benchRealistic } from './realistic-bench';
import { measure, medianMs as median, timerOverheadNs } from './stats';
const here = dirname(fileURLToPath(import.meta.url));

/**
 * The first load of a pack body in a fresh Node process (what `fms-run` pays
 * once at start), through dist/fms-run.cjs with its code cache (fresh.ts).
 * Median of `runs` processes.
 */
function freshProcessLoadMs(body: Uint8Array, runs: number): number {
  const bodyPath = join(mkdtempSync(join(tmpdir(), 'fms-bench-cold-')), 'body.bin');
  writeFileSync(bodyPath, body);
  return freshRuns(`const b = new Uint8Array(readFileSync(${JSON.stringify(bodyPath)}));`, '', 'm.loadPackBody(b);', runs, false).cached.loadMs;
}

type Row = Record<string, string>;


const us = (ns: number): string => (ns / 1000).toFixed(2);
const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function cedarBench(p: ReturnType<Engine['benchPolicy']>, benchCalls: Engine['benchCalls'], overhead: number): Promise<{ p50: number; p99: number; perSec: number; preparseMs: number } | null> {
  let cedar: typeof import('@cedar-policy/cedar-wasm/nodejs');
  try {
    cedar = await import('@cedar-policy/cedar-wasm/nodejs');
  } catch {
    return null;
  }
  const t0 = performance.now();
  for (const [action, text] of p.cedar.perAction) {
    const r = cedar.preparsePolicySet(`pset:${action}`, { staticPolicies: text });
    if (r.type !== 'success') throw new Error(`cedar rejected the policies of ${action}: ${JSON.stringify(r)}`);
  }
  const preparseMs = performance.now() - t0;
  const calls = benchCalls(p, 512).map((c) => ({
    principal: { type: 'Agent', id: c.agent },
    action: { type: 'Action', id: c.tool },
    resource: { type: 'Tool', id: c.tool },
    context: { amount: (c.args as { amount: number }).amount, currency: (c.args as { currency: string }).currency },
    preparsedPolicySetId: `pset:${c.tool}`,
    entities: [],
  }));
  // Sanity: same permit/deny outcome as fms on these calls.
  const ans = cedar.statefulIsAuthorized(calls[0]!);
  if (ans.type !== 'success') throw new Error(`cedar failed: ${JSON.stringify(ans)}`);
  const m = measure(calls, (c) => cedar.statefulIsAuthorized(c), 5_000, overhead, 20_000);
  return { ...m, preparseMs };
}

async function main(): Promise<void> {
  const engine = await loadEngine();
  const { compile, emitPackBody, loadPackBody, decideJson, benchPolicy, benchCalls } = engine;
  const overhead = timerOverheadNs();
  const rows: Row[] = [];
  const sizes = (process.env.FMS_BENCH_SIZES ?? '10,1000,10000').split(',').map(Number);
  // FMS_BENCH_ONLY=realistic runs only the realistic rows (for development).
  if (process.env.FMS_BENCH_ONLY === 'realistic') {
    await realisticTable(engine, sizes, overhead);
    return;
  }
  // Fresh-process loads first, while this process is idle: on two cores, the
  // background compiler and GC threads of the benchmarks below would compete
  // with the child.
  const coldMs = new Map<number, number>();
  {
    const bodies = sizes.map((n) => emitPackBody(benchPolicy(n).ir));
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < sizes.length; i++) coldMs.set(sizes[i]!, freshProcessLoadMs(bodies[i]!, 15));
  }
  for (const n of sizes) {
    const p = benchPolicy(n);
    let body: Uint8Array = new Uint8Array(0);
    const emitMs = median(() => {
      body = emitPackBody(p.ir);
    }, n >= 10000 ? 5 : 15);
    // Source → checked IR → pack body (what `fmsc build` does before signing).
    const compileOnce = (): Uint8Array => {
      const r = compile(p.source, 'governance.fms');
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      if (!r.ir || errors.length > 0) throw new Error(`bench policy does not compile: ${errors[0]?.message}`);
      return emitPackBody(r.ir);
    };
    const fromSource = loadPackBody(compileOnce());
    const compileMs = median(compileOnce, n >= 10000 ? 5 : 11);
    const loadColdMs = coldMs.get(n)!;
    const loadMs = median(() => loadPackBody(body), n >= 10000 ? 9 : 21);
    const pack = loadPackBody(body);
    const calls = benchCalls(p);
    // Sanity: the policy compiled from source decides like the IR-built one.
    for (const c of calls.slice(0, 64)) {
      const [x, y] = [pack.decide(c), fromSource.decide(c)];
      if (x.effect !== y.effect || x.code !== y.code) throw new Error(`source and IR policies disagree on ${c.tool}`);
    }
    // Sanity: the calls exercise permits, denies and defaults.
    const effects = new Set(calls.slice(0, 30).map((c) => `${pack.decide(c).effect}`));
    if (effects.size < 2) throw new Error('benchmark calls do not exercise the policy');
    const fms = measure(calls, (c) => pack.decide(c), 300_000, overhead, 20_000);
    const json = calls.map((c) => JSON.stringify(c));
    const js = measure(json, (s) => decideJson(pack, s), 200_000, overhead, 20_000);
    const ced = await cedarBench(p, benchCalls, overhead);
    rows.push({
      rules: fmtInt(p.n),
      'compile ms': compileMs.toFixed(2),
      'emit ms': emitMs.toFixed(2),
      'body KiB': (body.length / 1024).toFixed(1),
      'load ms': loadMs.toFixed(2),
      'load ms (new process)': loadColdMs.toFixed(2),
      'fms dec/s': fmtInt(fms.perSec),
      'fms p50 µs': us(fms.p50),
      'fms p99 µs': us(fms.p99),
      'json p50 µs': us(js.p50),
      'json p99 µs': us(js.p99),
      'cedar dec/s': ced ? fmtInt(ced.perSec) : 'n/a',
      'cedar p50 µs': ced ? us(ced.p50) : 'n/a',
      'cedar p99 µs': ced ? us(ced.p99) : 'n/a',
      'cedar/fms p50': ced ? `${(ced.p50 / Math.max(fms.p50, 1)).toFixed(0)}×` : 'n/a',
      'cedar/fms dec/s': ced ? `${(fms.perSec / ced.perSec).toFixed(0)}×` : 'n/a',
    });
  }
  const cols = Object.keys(rows[0] ?? {});
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padStart(widths[i]!)).join(' | ') + ' |';
  console.log(`\nfms decision benchmark — node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, timer overhead ${overhead} ns (subtracted)`);
  console.log('fms: pre-parsed call through the full pipeline (indexed dispatch, bytecode, rate limit, budget); json: JSON string → JSON answer.');
  console.log('compile: governance.fms source → parse, IR, all checks → pack body; emit: IR → pack body only.');
  console.log('load: parse + CRCs + bytecode verification + index, median in this process; new process: first load in a fresh node (median of 15).');
  console.log('cedar: @cedar-policy/cedar-wasm statefulIsAuthorized with one preparsed policy set per action (per-action slicing).\n');
  console.log(line(cols));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(cols.map((c) => r[c]!)));

  await realisticTable(engine, sizes, overhead);

  // Rows from the trust engineer's verification benchmark, when present.
  const vb = join(here, 'verify-bench.ts');
  if (existsSync(vb)) {
    try {
      const mod = (await import(vb)) as { benchVerify?: () => Promise<Array<{ name: string; value: string | number }>> };
      if (mod.benchVerify) {
        console.log('\npack verification');
        for (const r of await mod.benchVerify()) console.log(`  ${r.name}: ${r.value}`);
      }
    } catch (e) {
      console.log(`\n(verify-bench failed: ${e instanceof Error ? e.message : String(e)})`);
    }
  }

  // Kernel fence: process start under fms-exec vs plain exec vs bwrap, and the fms-run exec total.
  try {
    const fb = (await import(join(here, 'fence-bench.ts'))) as typeof import('./fence-bench');
    console.log('\nkernel fence (process start)');
    for (const r of await fb.benchFence()) console.log(`  ${r.name}: ${r.value}`);
  } catch (e) {
    console.log(`\n(fence-bench failed: ${e instanceof Error ? e.message : String(e)})`);
  }

  // Front-end throughput, bundled like the fmsc CLI (tsx's per-function name wrappers would distort it).
  const outDir = mkdtempSync(join(tmpdir(), 'fms-bench-check-'));
  const checkOut = join(outDir, 'check-bench.mjs');
  await build({ entryPoints: [join(here, 'check-bench.ts')], outfile: checkOut, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning' });
  const cb = (await import(pathToFileURL(checkOut).href)) as typeof import('./check-bench');
  console.log('\nfmsc check (front end)');
  for (const r of await cb.benchCheck()) console.log(`  ${r.name}: ${r.value}`);
  for (const r of await benchCheckCli(engine, 15)) console.log(`  ${r.name}: ${r.value}`);
}

function printTable(rows: Row[]): void {
  const cols = Object.keys(rows[0] ?? {});
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padStart(widths[i]!)).join(' | ') + ' |';
  console.log(line(cols));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(cols.map((c) => r[c]!)));
}

/** The realistic workload (realistic.ts): several agents, every feature, a varied stream; fms and cedar agree on every call. */
async function realisticTable(engine: Engine, sizes: number[], overhead: number): Promise<void> {
  if (process.env.FMS_BENCH_REALISTIC_CHILD === '1') {
    console.log('REALISTIC_ROWS ' + JSON.stringify(await benchRealistic(engine, sizes, overhead)));
    return;
  }
  // One child process per size. Each size then starts from a cold JIT, and a
  // fatal V8 11.3 deoptimizer error (DoComputeBuiltinContinuation, a lazy deopt
  // of the bench's cedarEffect around a cedar-wasm call) that struck when all
  // sizes ran in one process cannot take the whole table down.
  const rows: Row[] = [];
  for (const size of sizes) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      encoding: 'utf8',
      env: { ...process.env, FMS_BENCH_ONLY: 'realistic', FMS_BENCH_SIZES: String(size), FMS_BENCH_REALISTIC_CHILD: '1' },
      maxBuffer: 64 * 1024 * 1024,
    });
    const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('REALISTIC_ROWS '));
    if (r.status !== 0 || line === undefined) throw new Error(`realistic bench at ${size} rules failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-2000)}`);
    rows.push(...(JSON.parse(line.slice('REALISTIC_ROWS '.length)) as Row[]));
  }
  console.log('\nrealistic workload — several agents; deny!, globs, regexes, defers, budgets, rate limits, session limits, egress, redaction;');
  console.log('16,384 calls: exact hits, glob-only hits, deny! targets, unknown tools and agents, missing fields, defers. fms and cedar agree on every call.');
  console.log('cedar: one preparsed policy set per (agent, tool) slice, only the context those rules read. fresh node, dist/fms-run.cjs with its code cache: trust roots = parsing the trust file (key strength checks); verify+load = signature + manifest + body digest + body + bytecode check.\n');
  printTable(rows);
}

await main();
