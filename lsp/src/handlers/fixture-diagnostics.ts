/**
 * A failing fixture expectation is a diagnostic on both sides: on the rule (or
 * `default`) of the policy that decided, and on the case in the fixture file.
 */
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { Analysis } from '../analysis';
import type { CaseResult } from '../fixtures';

const SOURCE = 'fms-test';

function message(r: CaseResult): string {
  return `fixture case \`${r.name}\` expects ${r.expected}, the policy decides ${r.effect} (${r.code})`;
}

/** Diagnostics on the policy for failing cases whose deciding line is in this document. */
export function policyFixtureDiagnostics(a: Analysis, results: readonly CaseResult[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const lines = a.doc.lineCount;
  for (const r of results) {
    if (r.pass || r.line === undefined || r.line > lines) continue;
    const line = r.line - 1;
    const text = a.text.slice(a.doc.offsetAt({ line, character: 0 }), a.doc.offsetAt({ line: line + 1, character: 0 })).replace(/\r?\n$/, '');
    const indent = text.length - text.trimStart().length;
    out.push({ range: { start: { line, character: indent }, end: { line, character: text.length } }, severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'fixture', message: `${message(r)} (${r.fixture})` });
  }
  return out;
}

/** Diagnostics on one fixture file (its text) for its failing cases, at each case's `"name"`. */
export function fixtureFileDiagnostics(fixtureText: string, fixturePath: string, results: readonly CaseResult[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const starts = [0];
  for (let i = 0; i < fixtureText.length; i++) if (fixtureText.charCodeAt(i) === 10) starts.push(i + 1);
  const pos = (o: number) => {
    let l = 0;
    while (l + 1 < starts.length && starts[l + 1]! <= o) l++;
    return { line: l, character: o - starts[l]! };
  };
  let from = 0;
  for (const r of results) {
    if (r.fixture !== fixturePath) continue;
    const needle = JSON.stringify(r.name);
    let at = fixtureText.indexOf(needle, from);
    if (at < 0) at = fixtureText.indexOf(needle);
    if (at >= 0) from = at + needle.length;
    const range0 = at >= 0 ? { start: pos(at), end: pos(at + needle.length) } : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    if (r.code === 'UNKNOWN_AGENT') {
      out.push({ range: range0, severity: DiagnosticSeverity.Warning, source: SOURCE, code: 'unknown-agent', message: `agent \`${r.agent}\` is not declared in the policy; every call from it is denied (UNKNOWN_AGENT)` });
    }
    if (r.pass) continue;
    const range = at >= 0 ? { start: pos(at), end: pos(at + needle.length) } : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    out.push({ range, severity: DiagnosticSeverity.Error, source: SOURCE, code: 'fixture', message: `${message(r)}${r.line !== undefined ? ` at line ${r.line}` : ''}` });
  }
  return out;
}
