/**
 * Formatting with the compiler's formatter. A document with syntax errors is
 * left alone (the formatter refuses it). Range formatting formats the whole
 * document and returns only the edit when it touches the requested lines,
 * so the result is always the canonical layout.
 */
import { format } from '@fms/compiler';
import type { Range, TextEdit } from 'vscode-languageserver/node';
import { fileOf, type Analysis } from '../analysis';

/** The minimal single edit turning `a.text` into the formatted text, or none. */
function diffEdit(a: Analysis, out: string): TextEdit[] {
  const t = a.text;
  if (out === t) return [];
  let s = 0;
  while (s < t.length && s < out.length && t[s] === out[s]) s++;
  let e1 = t.length;
  let e2 = out.length;
  while (e1 > s && e2 > s && t[e1 - 1] === out[e2 - 1]) {
    e1--;
    e2--;
  }
  return [{ range: { start: a.doc.positionAt(s), end: a.doc.positionAt(e1) }, newText: out.slice(s, e2) }];
}

/** Whole-document formatting edits (empty when already formatted or not formattable). */
export function formatDocument(a: Analysis): TextEdit[] {
  const r = format(a.text, fileOf(a.doc.uri));
  if (r.diagnostics.some((d) => d.severity === 'error')) return [];
  return diffEdit(a, r.text);
}

/** Formatting for a range: the canonical layout of the statements the range touches. */
export function formatRange(a: Analysis, range: Range): TextEdit[] {
  const edits = formatDocument(a);
  return edits.filter((e) => e.range.start.line <= range.end.line && e.range.end.line >= range.start.line);
}
