/** Signature help for condition functions: which parameter the cursor is on. */
import { FUNCTION_DOCS } from '@fms/compiler';
import type { Position, SignatureHelp } from 'vscode-languageserver/node';
import { toOffset, type Analysis } from '../analysis';

/**
 * Finds the innermost unclosed `name(` before the cursor on the text (the
 * call may be incomplete, so the AST may not hold it yet) and counts the
 * top-level commas after it. Strings are skipped.
 */
export function signatureHelp(a: Analysis, pos: Position): SignatureHelp | null {
  const offset = toOffset(a.doc, pos);
  const lineStart = a.text.lastIndexOf('\n', offset - 1) + 1;
  const before = a.text.slice(lineStart, offset);
  const opens: { at: number; commas: number }[] = [];
  let quote: string | undefined;
  for (let i = 0; i < before.length; i++) {
    const c = before[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '#') break;
    else if (c === '(') opens.push({ at: i, commas: 0 });
    else if (c === ')') opens.pop();
    else if (c === ',' && opens.length) opens[opens.length - 1]!.commas++;
  }
  const open = opens[opens.length - 1];
  if (!open) return null;
  const name = /([A-Za-z_][\w.]*)\s*$/.exec(before.slice(0, open.at))?.[1];
  const f = name ? FUNCTION_DOCS.find((x) => x.word === name) : undefined;
  if (!f) return null;
  return {
    signatures: [{ label: f.signature, documentation: { kind: 'markdown', value: f.doc }, parameters: f.params.map((p) => ({ label: p.name, documentation: p.doc })) }],
    activeSignature: 0,
    activeParameter: Math.min(open.commas, f.params.length - 1),
  };
}
