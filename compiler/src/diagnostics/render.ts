import type { Diagnostic } from './diagnostic';
import { LineIndex } from './diagnostic';

/** Colour functions; identity when colour is off. */
export interface Palette {
  error(s: string): string;
  warning(s: string): string;
  info(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export const plain: Palette = { error: (s) => s, warning: (s) => s, info: (s) => s, dim: (s) => s, bold: (s) => s };

/** Source texts by file name, for code frames. */
export type Sources = Map<string, string>;

const indexCache = new WeakMap<object, Map<string, LineIndex>>();

function lineIndex(sources: Sources, file: string): LineIndex | undefined {
  let m = indexCache.get(sources);
  if (!m) indexCache.set(sources, (m = new Map()));
  let idx = m.get(file);
  if (!idx) {
    const text = sources.get(file);
    if (text === undefined) return undefined;
    idx = new LineIndex(text);
    m.set(file, idx);
  }
  return idx;
}

/**
 * Renders diagnostics for people: `file:line:col: error[FMS1001]: message`,
 * then a code frame with the span underlined, related locations and help.
 */
export function renderText(diags: Diagnostic[], sources: Sources, c: Palette = plain): string {
  let out = '';
  for (const d of diags) {
    const idx = lineIndex(sources, d.file);
    const pos = idx ? idx.position(d.span.start) : { line: 1, col: 1 };
    const sev = d.severity === 'error' ? c.error('error') : d.severity === 'warning' ? c.warning('warning') : c.info('info');
    out += `${c.bold(`${d.file}:${pos.line}:${pos.col}:`)} ${sev}${c.bold(`[${d.code}]`)}: ${d.message}\n`;
    if (idx) out += frame(idx, d.span.start, d.span.end, c);
    for (const r of d.related ?? []) {
      const ri = lineIndex(sources, r.file);
      const rp = ri ? ri.position(r.span.start) : { line: 1, col: 1 };
      out += `  ${c.dim('=')} note: ${r.message} (${r.file}:${rp.line}:${rp.col})\n`;
      if (ri) out += frame(ri, r.span.start, r.span.end, c);
    }
    if (d.help) out += `  ${c.dim('=')} help: ${d.help}\n`;
  }
  return out;
}

function frame(idx: LineIndex, start: number, end: number, c: Palette): string {
  const p = idx.position(start);
  const lineText = idx.lineText(p.line).replace(/\t/g, ' ');
  const q = idx.position(Math.max(start, end - 1));
  const width = q.line === p.line ? Math.max(1, end - start) : Math.max(1, lineText.length - p.col + 1);
  const gutter = String(p.line).length;
  const pad = ' '.repeat(gutter);
  return (
    `${pad} ${c.dim('|')}\n` +
    `${c.dim(String(p.line))} ${c.dim('|')} ${lineText}\n` +
    `${pad} ${c.dim('|')} ${' '.repeat(p.col - 1)}${c.error('^'.repeat(Math.min(width, Math.max(1, lineText.length - p.col + 1))))}\n`
  );
}

/** Line/column form of a diagnostic used in JSON output (1-based). */
export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file: string;
  span: { start: number; end: number };
  range: { start: { line: number; col: number }; end: { line: number; col: number } };
  related?: { message: string; file: string; range: { start: { line: number; col: number } } }[];
  help?: string;
  /** The word a did-you-mean proposes for the spanned text (see `Diagnostic.suggestion`). */
  suggestion?: string;
}

/** The versioned JSON report of `--format json`. */
export function toJson(diags: Diagnostic[], sources: Sources, extra: Record<string, unknown> = {}): string {
  const out: JsonDiagnostic[] = diags.map((d) => {
    const idx = lineIndex(sources, d.file);
    const s = idx ? idx.position(d.span.start) : { line: 1, col: 1 };
    const e = idx ? idx.position(d.span.end) : s;
    const j: JsonDiagnostic = { code: d.code, severity: d.severity, message: d.message, file: d.file, span: d.span, range: { start: s, end: e } };
    if (d.related) {
      j.related = d.related.map((r) => {
        const ri = lineIndex(sources, r.file);
        return { message: r.message, file: r.file, range: { start: ri ? ri.position(r.span.start) : { line: 1, col: 1 } } };
      });
    }
    if (d.help) j.help = d.help;
    if (d.suggestion !== undefined) j.suggestion = d.suggestion;
    return j;
  });
  const errors = diags.filter((d) => d.severity === 'error').length;
  const warnings = diags.filter((d) => d.severity === 'warning').length;
  return JSON.stringify({ version: 1, tool: 'fmsc', ...extra, diagnostics: out, summary: { errors, warnings } }, null, 2) + '\n';
}
