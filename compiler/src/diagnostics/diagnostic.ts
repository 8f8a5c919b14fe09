import type { Span } from '../ir/types';
import { suggestionIn } from '../util/did-you-mean';

export type Severity = 'error' | 'warning' | 'info';

/** Extra locations that explain a diagnostic (e.g. the `deny!` that overrides a permit). */
export interface Related {
  message: string;
  file: string;
  span: Span;
}

/**
 * The one diagnostic shape of the toolchain. Spans are offsets into the JS
 * string of the source; renderers convert to line:column for people (1-based)
 * or for LSP (0-based).
 */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  file: string;
  span: Span;
  related?: Related[];
  help?: string;
  /**
   * The word a did-you-mean proposes for the text under `span` (set by the
   * sink from `help`'s `did you mean \`X\`?`). A quick fix replaces the
   * spanned text with it, keeping the quotes when the spanned text is quoted.
   */
  suggestion?: string;
}

/** Collects diagnostics; the single `accept` entry point of every phase. */
export class DiagnosticSink {
  readonly items: Diagnostic[] = [];
  constructor(readonly file: string) {}

  accept(d: Omit<Diagnostic, 'file'> & { file?: string }): void {
    const item: Diagnostic = { ...d, file: d.file ?? this.file };
    const guess = item.suggestion ?? suggestionIn(item.help);
    if (guess !== undefined) item.suggestion = guess;
    this.items.push(item);
  }

  get errorCount(): number {
    return this.items.filter((d) => d.severity === 'error').length;
  }
}

/** Maps offsets to 1-based line/column, computed once per source text. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  /** 1-based line and column (column counts UTF-16 units) of an offset. */
  position(offset: number): { line: number; col: number } {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: o - this.starts[lo]! + 1 };
  }

  lineCount(): number {
    return this.starts.length;
  }

  /** Text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const s = this.starts[line - 1];
    if (s === undefined) return '';
    const e = line < this.starts.length ? this.starts[line]! - 1 : this.text.length;
    return this.text.slice(s, e).replace(/\r$/, '');
  }
}
