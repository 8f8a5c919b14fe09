/**
 * Quick fixes for diagnostics with an obvious fix: the compiler's
 * did-you-mean, `args.` for a bare name, pin an `@latest` import to the
 * newest version in the registry, add `default deny`, move a rule an earlier
 * rule shadows above it, and remove a `permit` a `deny!` always overrides.
 */
import type { Diagnostic as FmsDiagnostic } from '@fms/compiler';
import { CodeActionKind, type CodeAction, type Diagnostic, type Range, type TextEdit } from 'vscode-languageserver/node';
import { agentBlocks, fileOf, toRange, type Analysis } from '../analysis';
import { toLspDiagnostics } from './diagnostics';

/** Lists the versions of a package ref (`host/path`, no version) the offline registry holds. */
export type VersionLister = (refWithoutVersion: string) => string[];

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

/** The highest plain `X.Y.Z` of `versions` (pre-releases are never chosen). */
export function newestVersion(versions: readonly string[]): string | undefined {
  let best: number[] | undefined;
  let bestText: string | undefined;
  for (const v of versions) {
    const m = SEMVER.exec(v);
    if (!m) continue;
    const n = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!best || n[0]! > best[0]! || (n[0] === best[0] && (n[1]! > best[1]! || (n[1] === best[1] && n[2]! > best[2]!)))) {
      best = n;
      bestText = v;
    }
  }
  return bestText;
}

function action(a: Analysis, title: string, diag: Diagnostic, edits: TextEdit[], preferred = true): CodeAction {
  return { title, kind: CodeActionKind.QuickFix, diagnostics: [diag], isPreferred: preferred, edit: { changes: { [a.doc.uri]: edits } } };
}

function lineRange(a: Analysis, start: number, end: number): { start: number; end: number } {
  const s = a.text.lastIndexOf('\n', start - 1) + 1;
  const nl = a.text.indexOf('\n', end);
  return { start: s, end: nl < 0 ? a.text.length : nl + 1 };
}

function fix(a: Analysis, d: FmsDiagnostic, ld: Diagnostic, versions: VersionLister | undefined): CodeAction[] {
  const out: CodeAction[] = [];
  const guess = d.help ? /did you mean `([^`]+)`\?/.exec(d.help)?.[1] : undefined;
  if (guess) {
    const written = a.text.slice(d.span.start, d.span.end);
    const quoted = /^["']/.test(written);
    out.push(action(a, `Change to \`${guess}\``, ld, [{ range: toRange(a.doc, d.span), newText: quoted ? `"${guess}"` : guess }]));
  }
  if (d.code === 'FMS2019') {
    const name = a.text.slice(d.span.start, d.span.end);
    if (/^[A-Za-z_][\w.]*$/.test(name)) out.push(action(a, `Write \`args.${name}\``, ld, [{ range: toRange(a.doc, d.span), newText: `args.${name}` }], !guess));
  }
  if (d.code === 'FMS2021' && versions) {
    const written = a.text.slice(d.span.start, d.span.end);
    const m = /^(["'])([^"'@]+)@([^"']*)\1$/.exec(written);
    const newest = m ? newestVersion(versions(m[2]!)) : undefined;
    if (m && newest) out.push(action(a, `Pin to \`@${newest}\` (newest in the registry)`, ld, [{ range: toRange(a.doc, d.span), newText: `${m[1]}${m[2]}@${newest}${m[1]}` }]));
  }
  if (d.code === 'FMS2015') {
    const agent = agentBlocks(a.result.ast).find((b) => d.span.start >= b.span.start && d.span.start <= b.span.end);
    const brace = agent ? a.text.indexOf('{', (agent.label ?? agent.keyword).span.end) : -1;
    if (agent && brace >= 0) {
      const first = agent.items[0];
      const indent = first ? a.text.slice(a.text.lastIndexOf('\n', first.span.start - 1) + 1, first.span.start) : '  ';
      const sameLine = first && !a.text.slice(brace, first.span.start).includes('\n');
      const newText = sameLine || !first ? ` default deny ` : `\n${/^\s*$/.test(indent) ? indent : '  '}default deny`;
      const at = a.doc.positionAt(brace + 1);
      out.push(action(a, 'Add `default deny`', ld, [{ range: { start: at, end: at }, newText }]));
    }
  }
  if (d.code === 'FMS2012' && d.related?.[0]) {
    const earlier = d.related[0].span;
    const moved = lineRange(a, d.span.start, d.span.end);
    const target = lineRange(a, earlier.start, earlier.end);
    if (target.start < moved.start) {
      const at = a.doc.positionAt(target.start);
      out.push(
        action(a, 'Move this rule above the rule that shadows it', ld, [
          { range: { start: at, end: at }, newText: a.text.slice(moved.start, moved.end) },
          { range: toRange(a.doc, moved), newText: '' },
        ]),
      );
    }
  }
  if (d.code === 'FMS2011') {
    out.push(action(a, 'Remove the `permit` that a `deny!` always overrides', ld, [{ range: toRange(a.doc, lineRange(a, d.span.start, d.span.end)), newText: '' }], false));
  }
  return out;
}

/** Quick fixes for the diagnostics that intersect `range`. */
export function codeActions(a: Analysis, range: Range, versions?: VersionLister): CodeAction[] {
  const own = fileOf(a.doc.uri);
  const lsp = toLspDiagnostics(a);
  const out: CodeAction[] = [];
  a.result.diagnostics.forEach((d, i) => {
    if (d.file !== own) return;
    const r = lsp[i]!.range;
    if (r.end.line < range.start.line || r.start.line > range.end.line) return;
    out.push(...fix(a, d, lsp[i]!, versions));
  });
  return out;
}
