/**
 * A `*.fmtest.json` fixture open in the editor: its diagnostics (not JSON,
 * schema errors and unknown agent ids, each at its position: the compiler's
 * fixture reader, the same one `fmsc test` uses) and a code lens per case that
 * runs it (pass/fail) and one that selects it for explain on hover.
 */
import { JsonSyntaxError, parseJsonWithSpans, validateFixture, type Policy, type PositionedJson } from '@fms/compiler';
import { DiagnosticSeverity, type CodeLens, type Diagnostic, type Range } from 'vscode-languageserver/node';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { readFixture, type CaseResult, type Fixture } from '../fixtures';
import { fixtureFileDiagnostics } from './fixture-diagnostics';

/** Runs one case of a fixture: arguments `[fixtureUri, caseIndex]`; shows and returns the result. */
export const RUN_FIXTURE_CASE = 'fms.runFixtureCase';
/** Selects a case to explain on hover in its policy: arguments `[policyUri, fixtureUri, caseIndex]`. */
export const SELECT_FIXTURE_CASE = 'fms.selectFixtureCase';
/** Clears the selected case of a policy: arguments `[policyUri]`. */
export const CLEAR_FIXTURE_CASE = 'fms.clearFixtureCase';

const SOURCE = 'fms-test';
const MAX_FIXTURE_CHARS = 1 << 20;

/** A fixture document read from its text. */
export interface FixtureDoc {
  path: string;
  text: string;
  parsed?: PositionedJson;
  /** The fixture when the text is valid (no problems at all): fail closed, a half-valid fixture is not run. */
  fixture?: Fixture;
  /** JSON and schema problems with their offsets. */
  problems: { offset: number; message: string }[];
}

/** Line starts of a text, for offset → position. */
function positions(text: string): (o: number) => { line: number; character: number } {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return (o) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo, character: o - starts[lo]! };
  };
}

/** Reads a fixture document (pure). */
export function readFixtureDoc(text: string, path: string): FixtureDoc {
  if (text.length > MAX_FIXTURE_CHARS) return { path, text, problems: [{ offset: 0, message: `the fixture is over ${MAX_FIXTURE_CHARS} characters; not read` }] };
  let parsed: PositionedJson;
  try {
    parsed = parseJsonWithSpans(text);
  } catch (e) {
    if (e instanceof JsonSyntaxError) return { path, text, problems: [{ offset: e.offset, message: `not valid JSON: ${e.message}` }] };
    if (e instanceof RangeError) return { path, text, problems: [{ offset: 0, message: 'not valid JSON: nested too deeply' }] };
    throw e;
  }
  const problems = validateFixture(parsed);
  const fixture = problems.length ? undefined : readFixture(path, parsed.value);
  return { path, text, parsed, problems, ...(fixture ? { fixture } : {}) };
}

/** The policy a fixture runs against, as `fmsc test` finds it: `policy` relative to the fixture, else `governance.fms` beside it, else one level up. */
export function fixturePolicyPath(fd: FixtureDoc): string {
  const dir = dirname(resolve(fd.path));
  const v = fd.parsed?.value;
  const pol = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>).policy : undefined;
  if (typeof pol === 'string' && pol !== '') return resolve(dir, pol);
  const beside = join(dir, 'governance.fms');
  return existsSync(beside) || !existsSync(join(dir, '..', 'governance.fms')) ? beside : join(dir, '..', 'governance.fms');
}

function spanRange(fd: FixtureDoc, pointer: string, pos: (o: number) => { line: number; character: number }): Range | undefined {
  const s = fd.parsed?.spans.get(pointer);
  return s ? { start: pos(s.start), end: pos(s.end) } : undefined;
}

/**
 * The diagnostics of a fixture document: its JSON and schema problems
 * (errors), agent ids the policy does not declare (warnings, at the
 * `agent_id` value), and the failing cases of `results` (errors at the case's
 * `"name"`). `ir` is the policy's IR when it compiled without errors.
 */
export function fixtureDocDiagnostics(fd: FixtureDoc, ir: Policy | undefined, results: readonly CaseResult[], policyProblem?: string): Diagnostic[] {
  const pos = positions(fd.text);
  const out: Diagnostic[] = fd.problems.map((p) => ({ range: { start: pos(p.offset), end: pos(p.offset) }, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'fixture-schema', message: p.message }));
  const fx = fd.fixture;
  if (!fx) return out;
  if (!ir && policyProblem) {
    // Said once, at `policy` when the fixture names it, else at the top: the cases are not run.
    const range = spanRange(fd, '/policy', pos) ?? { start: pos(0), end: pos(0) };
    out.push({ range, severity: DiagnosticSeverity.Information, source: SOURCE, code: 'fixture-policy', message: `cases not run: ${policyProblem}` });
  }
  if (ir) {
    // The agent of a file of flat rules is named too (`default`): other ids are unknown to it as well.
    const known = new Set(ir.agents.map((x) => x.id));
    const unknown = (id: string): boolean => !known.has(id);
    const warn = (pointer: string, id: string): void => {
      const range = spanRange(fd, pointer, pos);
      if (range) out.push({ range, severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'unknown-agent', message: `agent \`${id}\` is not declared in the policy; every call from it is denied (UNKNOWN_AGENT)${known.size ? ` (agents: ${[...known].slice(0, 10).join(', ')})` : ''}` });
    };
    if (unknown(fx.agent_id)) warn('/agent_id', fx.agent_id);
    fx.cases.forEach((c, n) => {
      if (typeof c.agent_id === 'string' && unknown(c.agent_id)) warn(`/cases/${n}/agent_id`, c.agent_id);
    });
  }
  // Failing expectations at the case's name (the unknown-agent warnings above replace the name-positioned ones).
  for (const d of fixtureFileDiagnostics(fd.text, fd.path, results)) if (d.code !== 'unknown-agent') out.push(d);
  return out;
}

/** The result title of one case's lens. */
export function caseTitle(r: CaseResult | undefined): string {
  if (!r) return '▶ run case';
  return r.pass ? `✓ pass: ${r.effect} (${r.code})` : `✗ fail: ${r.effect} (${r.code}), expected ${r.expected}`;
}

/**
 * Two lenses per case, on its opening `{`: its result against the policy
 * (runs `fms.runFixtureCase`) and "explain with this case" (runs
 * `fms.selectFixtureCase` for the policy). `results` are this fixture's, in
 * case order; none when the fixture or the policy does not compile.
 */
export function fixtureCaseLenses(fd: FixtureDoc, fixtureUri: string, policyUri: string, results: readonly CaseResult[]): CodeLens[] {
  const fx = fd.fixture;
  if (!fx) return [];
  const pos = positions(fd.text);
  const out: CodeLens[] = [];
  const mine = results.filter((r) => r.fixture === fx.path);
  fx.cases.forEach((_c, n) => {
    const s = fd.parsed?.spans.get(`/cases/${n}`);
    if (!s) return;
    const range = { start: pos(s.start), end: pos(s.start + 1) };
    out.push({ range, command: { title: caseTitle(mine[n]), command: RUN_FIXTURE_CASE, arguments: [fixtureUri, n] } });
    out.push({ range, command: { title: 'explain with this case', command: SELECT_FIXTURE_CASE, arguments: [policyUri, fixtureUri, n] } });
  });
  return out;
}
