/**
 * Pipeline fuzz (issue 9): random policies from the FPL grammar generator and
 * mutated policies (generated and corpus) go through check → fmt → build
 * (emit) → load → decide, in process. Invariants:
 * - the front end never throws and never reports an internal error (FMS1099);
 * - check clean ⇒ the emitter succeeds ⇒ the loader accepts the body;
 * - fmt succeeds on a clean policy, is idempotent, and keeps the IR (the
 *   formatted text compiles to the same IR, locations aside) — checked on every
 *   third clean policy, to keep the run within its time budget;
 * - a decision never throws and never fails internally, also on hostile calls
 *   (prototype names, wrong types, odd shapes), through `decide` and `decideJson`.
 * At least 20,000 policies per run; the count is printed on one line.
 */
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { emitPackBody } from '../../../compiler/src/emit/emit-body';
import { format } from '../../../compiler/src/format/format';
import type { Policy } from '../../../compiler/src/ir/types';
import { decideJson } from '@fms/runtime';
import { ManualClock } from '@fms/runtime';
import { loadPackBody } from '@fms/runtime';
import type { Decision } from '@fms/runtime';
import { type GeneratedPolicy, genCall, genMutation, genPolicy, mutate, rng } from '../../helpers/fpl-gen';
import { CORPUS_PRESENT, corpusDir, walk } from '../../helpers/paths';

const POLICIES = Number(process.env.FMS_PIPELINE_POLICIES ?? 20_000);
const SEED = Number(process.env.FMS_FUZZ_SEED ?? 20261130);
const CALLS = 4;
/** fmt (two more parses and a compile) runs on every FMT_EVERY-th clean policy. */
const FMT_EVERY = 3;

/** Corpus files to mutate; in a bare clone (no ../shared/corpus) that share is mutated generated policies, said in one loud line; under CI=true a missing corpus fails. */
const corpus =
  CORPUS_PRESENT || process.env.CI === 'true'
    ? walk(corpusDir())
        .filter((f) => /\.(fpl|fms)$/.test(f))
        .map((f) => readFileSync(f, 'utf8'))
    : (process.stderr.write('SKIPPED part of fuzz/pipeline.test.ts: the FPL corpus is missing (expected ../shared/corpus); its 10% share is mutated generated policies instead\n'), []);

/** The IR without source locations and rule texts: what fmt must keep. */
function meaning(ir: Policy): string {
  return JSON.stringify(ir, (k, v: unknown) => (k === 'loc' || k === 'span' || k === 'defaultLoc' || k === 'text' ? undefined : v));
}

function checkDecision(d: Decision, what: string): void {
  if (!['permit', 'deny', 'defer'].includes(d.effect)) throw new Error(`${what}: effect ${String(d.effect)}`);
  if (/internal error/.test(d.human_message)) throw new Error(`${what}: ${d.human_message}`);
}

test(`check → fmt → build → load → decide over ≥ ${POLICIES.toLocaleString('en-US')} policies`, () => {
  const stats = { policies: 0, generated: 0, mutated: 0, corpus: 0, clean: 0, formatted: 0, calls: 0 };
  const r = rng(SEED);
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < POLICIES; i++) {
    // 70% generated, 20% mutated generated, 10% mutated corpus files.
    const kind = i % 10 < 7 ? 'generated' : i % 10 < 9 || corpus.length === 0 ? 'mutated' : 'corpus';
    const gen: GeneratedPolicy = genPolicy(SEED + i, { small: true });
    let text = gen.source;
    if (kind === 'mutated') text = mutate(text, Array.from({ length: 1 + r.int(3) }, () => genMutation(r)));
    if (kind === 'corpus') text = mutate(r.pick(corpus), Array.from({ length: r.int(3) }, () => genMutation(r)));
    stats.policies++;
    stats[kind]++;
    const where = `policy ${i} (${kind}, seed ${SEED + i}):\n${text}`;

    const c = compile(text, 'governance.fms', { env: {} });
    if (c.diagnostics.some((d) => d.code === 'FMS1099')) throw new Error(`internal parser error on ${where}`);
    if (c.diagnostics.some((d) => d.severity === 'error') || !c.ir) continue;
    stats.clean++;

    // check clean ⇒ build ⇒ load.
    let body: Uint8Array;
    try {
      body = emitPackBody(c.ir);
    } catch (e) {
      throw new Error(`check was clean but build failed (${(e as Error).message}) on ${where}`);
    }
    const clock = new ManualClock(Date.UTC(2026, 0, 1) + r.int(86_400) * 1000);
    let pack;
    try {
      pack = loadPackBody(body, { clock });
    } catch (e) {
      throw new Error(`build succeeded but the loader refused the pack (${(e as Error).message}) on ${where}`);
    }

    // fmt keeps the IR and is idempotent.
    if (stats.clean % FMT_EVERY === 0) {
      stats.formatted++;
      const f = format(text, 'governance.fms');
      if (f.diagnostics.some((d) => d.severity === 'error')) throw new Error(`fmt failed on a clean policy: ${f.diagnostics[0]!.message} on ${where}`);
      const again = compile(f.text, 'governance.fms', { env: {} });
      if (!again.ir || again.diagnostics.some((d) => d.severity === 'error')) throw new Error(`the formatted text does not check clean on ${where}\n--- formatted:\n${f.text}`);
      if (meaning(again.ir) !== meaning(c.ir)) throw new Error(`fmt changed the IR of ${where}\n--- formatted:\n${f.text}`);
      if (format(f.text, 'governance.fms').text !== f.text) throw new Error(`fmt is not idempotent on ${where}`);
    }

    // Decisions never throw, also on hostile calls.
    const agents = c.ir.agents.map((a) => a.id);
    const p: GeneratedPolicy = { seed: gen.seed, source: text, agents: agents.length ? agents : ['default'] };
    for (let k = 0; k < CALLS; k++) {
      clock.advance(r.int(5000));
      const call = genCall(r, p, k === CALLS - 1);
      checkDecision(pack.decide(call), `${where}\ncall ${JSON.stringify(call)}`);
      stats.calls++;
    }
    const json = JSON.stringify(genCall(r, p, true)).replace('"args":{', r.chance(0.5) ? '"args":{"__proto__":{"x":1},' : '"args":{');
    checkDecision(JSON.parse(decideJson(pack, json)) as Decision, `${where}\njson ${json}`);
    stats.calls++;
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  const u = process.cpuUsage(cpu0);
  const cpuSecs = ((u.user + u.system) / 1e6).toFixed(1);
  console.log(
    `pipeline fuzz: ${stats.policies} policies (${stats.generated} generated, ${stats.mutated} mutated, ${stats.corpus} mutated corpus), ${stats.clean} check-clean built, loaded and decided (${stats.formatted} also formatted), ${stats.calls} calls, ${secs} s (${cpuSecs} s CPU)`,
  );
  assert.ok(stats.policies >= POLICIES);
  assert.ok(stats.clean > POLICIES * 0.6, `too few policies check clean (${stats.clean}): the generator drifted from the language`);
});

test.run();
