/**
 * Reads what `fmsc test FIXTURE` prints (one fixture per run):
 *
 *     ✓ case name
 *     ✗ case name
 *         expected: deny POLICY_DENY governance.fms:12
 *         got:      permit PERMIT governance.fms:9 — …
 *
 * and the summary `N passed, M failed`. Results are in case order, so a name
 * that appears twice is matched by position.
 */

/** The result of one case. */
export interface CaseResult {
  name: string;
  passed: boolean;
  /** For a failure: the expected/got lines. */
  message?: string;
}

/** What one `fmsc test` run reported. */
export interface TestRun {
  results: CaseResult[];
  summary: { passed: number; failed: number } | undefined;
}

/** Parses `fmsc test` stdout. */
export function parseTestOutput(stdout: string): TestRun {
  const results: CaseResult[] = [];
  let summary: TestRun['summary'];
  for (const line of stdout.split(/\r?\n/)) {
    const m = /^ {4}([✓✗]) (.*)$/.exec(line);
    if (m) {
      results.push(m[1] === '✓' ? { name: m[2]!, passed: true } : { name: m[2]!, passed: false, message: '' });
      continue;
    }
    const detail = /^ {8}(expected|got): +(.*)$/.exec(line);
    const last = results[results.length - 1];
    if (detail && last && !last.passed) {
      last.message = `${last.message ? `${last.message}\n` : ''}${detail[1]}: ${detail[2]}`;
      continue;
    }
    const s = /^(\d+) passed, (\d+) failed/.exec(line);
    if (s) summary = { passed: Number(s[1]), failed: Number(s[2]) };
  }
  return { results, summary };
}

/**
 * Matches results to case ids (`FixtureCase.id`), in order: the n-th result
 * named X belongs to the n-th case named X. Cases without a result are absent
 * from the map (the run stopped early or failed before the case).
 */
export function resultsByCase(cases: readonly { name: string; id: string }[], run: TestRun): Map<string, CaseResult> {
  const queue = new Map<string, CaseResult[]>();
  for (const r of run.results) {
    const q = queue.get(r.name);
    if (q) q.push(r);
    else queue.set(r.name, [r]);
  }
  const out = new Map<string, CaseResult>();
  for (const c of cases) {
    const r = queue.get(c.name)?.shift();
    if (r) out.set(c.id, r);
  }
  return out;
}
