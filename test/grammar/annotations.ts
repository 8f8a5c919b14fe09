import type { Token } from './textmate';

/**
 * Scope assertions written inside an FPL file as comments, checked against the
 * previous source line (the file stays valid FPL):
 *
 *     permit stripe/* if amount > $5
 *     #      ^^^^^^ entity.name.function.tool.fms
 *     # <---- keyword.control.effect.permit.fms
 *     #             ^ - string.quoted.double.fms
 *
 * `^` marks columns; `# <-` marks column 0 and every `-` after `<` one more
 * column. Each listed scope must be among the token's scopes at every marked
 * column; a scope after ` - ` must not be.
 */
export interface Assertion {
  line: number;
  columns: number[];
  present: string[];
  absent: string[];
}

const CARET = /^#(\s*)(\^+)\s+(.*)$/;
const ARROW = /^#\s*<(-+)\s+(.*)$/;

/** Reads the assertions of an annotated file (assertion lines are comments, so the file is tokenized as it is). */
export function readAssertions(text: string): Assertion[] {
  const lines = text.split('\n');
  const assertions: Assertion[] = [];
  let target = -1;
  lines.forEach((line, i) => {
    const caret = CARET.exec(line);
    const arrow = caret ? null : ARROW.exec(line);
    if (!caret && !arrow) {
      target = i;
      return;
    }
    if (target < 0) throw new Error(`line ${i + 1}: an assertion before any source line`);
    const start = caret ? 1 + caret[1]!.length : 0;
    const width = caret ? caret[2]!.length : arrow![1]!.length;
    const [want, not = ''] = (caret ? caret[3]! : arrow![2]!).split(/\s+-\s+|^-\s+/);
    assertions.push({
      line: target,
      columns: Array.from({ length: width }, (_, k) => start + k),
      present: want!.split(/\s+/).filter(Boolean),
      absent: not.split(/\s+/).filter(Boolean),
    });
  });
  return assertions;
}

/** Scopes of the token covering `column` of a tokenized line. */
export function scopesAt(tokens: Token[], column: number): string[] | undefined {
  let at = 0;
  for (const t of tokens) {
    if (column < at + t.text.length) return t.scopes;
    at += t.text.length;
  }
  return undefined;
}

/** Failure messages of `assertions` against `lines` (empty when all hold). */
export function check(assertions: Assertion[], lines: Token[][], sourceLines: string[]): string[] {
  const failures: string[] = [];
  for (const a of assertions) {
    const tokens = lines[a.line] ?? [];
    for (const col of a.columns) {
      const scopes = scopesAt(tokens, col);
      const where = `line ${a.line + 1} col ${col + 1} (${JSON.stringify(sourceLines[a.line]?.slice(col, col + 12))})`;
      if (!scopes) {
        failures.push(`${where}: past the end of the line`);
        continue;
      }
      for (const s of a.present) if (!scopes.includes(s)) failures.push(`${where}: expected ${s}, got ${scopes.join(' ')}`);
      for (const s of a.absent) if (scopes.includes(s)) failures.push(`${where}: did not expect ${s}, got ${scopes.join(' ')}`);
    }
  }
  return failures;
}
