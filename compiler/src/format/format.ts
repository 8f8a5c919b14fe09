import type { Diagnostic } from '../diagnostics/diagnostic';
import type { BlockNode, CommentNode, FieldNode, FieldSep, Item, RuleNode } from '../syntax/ast';
import { parse } from '../syntax/parse';
import { printClause, printValue } from './print-expr';
import { sameLayoutFreeAst } from './layout-free';

/** Result of {@link format}: the formatted text, or the input unchanged when `diagnostics` holds errors. */
export interface FormatResult {
  text: string;
  diagnostics: Diagnostic[];
}

const INDENT = '  ';

/**
 * Formats FPL source canonically (gofmt style): 2-space indentation, one
 * statement per line, aligned `=` in runs of `key = value` fields, single
 * spaces between tokens, every comment kept in place, at most one blank line
 * between statements and exactly one final newline. The author's spellings
 * (`allow`/`permit`, `&&`/`and`, quotes, field separators) are kept.
 *
 * Pure and idempotent. Refuses to format — returns `text` unchanged with the
 * diagnostics — when the source has syntax errors. The output is checked by
 * re-parsing it: if its AST (layout aside) or its comments differ from the
 * input's, the input is returned unchanged with an FMS1099 internal error.
 */
export function format(text: string, file = 'governance.fms'): FormatResult {
  const parsed = parse(text, file);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) return { text, diagnostics: parsed.diagnostics };
  const out = new Printer(text, parsed.ast.comments).document(parsed.ast.items);
  // Fail closed: never hand back text that means something else or lost a comment.
  const again = parse(out, file);
  if (again.diagnostics.length || !sameLayoutFreeAst(parsed.ast, again.ast)) {
    return {
      text,
      diagnostics: [
        {
          code: 'FMS1099',
          severity: 'error',
          message: 'internal formatter error: the formatted text does not parse to the same policy; file left unchanged',
          file,
          span: { start: 0, end: 0 },
          help: 'please report this file to the fms maintainers',
        },
      ],
    };
  }
  return { text: out, diagnostics: parsed.diagnostics };
}

/** One output line before indentation; `code` is false for comment-only lines. */
interface Line {
  depth: number;
  text: string;
  code: boolean;
  /** An empty line goes before this one. */
  blank?: boolean;
  /** A trailing comment was appended already. */
  trailed?: boolean;
}

const BLANK_LINE = /\n[ \t\r\f\v]*\n/;

class Printer {
  private readonly used: boolean[];
  private readonly lines: Line[] = [];

  constructor(
    private readonly src: string,
    private readonly comments: CommentNode[],
  ) {
    this.comments = [...comments].sort((a, b) => a.span.start - b.span.start);
    this.used = this.comments.map(() => false);
  }

  document(items: Item[]): string {
    this.body(items, 0, this.src.length, 0);
    // INVARIANT: every comment lies in some region `body` walked; this only guards against a bug.
    for (let i = 0; i < this.comments.length; i++) {
      if (!this.used[i]) this.lines.push({ depth: 0, text: this.comments[i]!.text, code: false });
    }
    let out = '';
    this.lines.forEach((l, i) => {
      if (l.blank && i > 0) out += '\n';
      out += (l.text ? INDENT.repeat(l.depth) + l.text : '') + '\n';
    });
    // An empty file stays empty; anything else ends with exactly one newline.
    return out;
  }

  // ------------------------------------------------------------ comments

  /** Unused comments starting in [from, to), marked used, in source order. */
  private take(from: number, to: number): CommentNode[] {
    const got: CommentNode[] = [];
    this.comments.forEach((c, i) => {
      if (!this.used[i] && c.span.start >= from && c.span.start < to) {
        this.used[i] = true;
        got.push(c);
      }
    });
    return got;
  }

  /** The unused comment in [from, to) on the same line as `from`, if any (marked used). */
  private sameLine(from: number, to: number): CommentNode | undefined {
    const i = this.comments.findIndex((c, j) => !this.used[j] && c.span.start >= from && c.span.start < to);
    if (i < 0) return undefined;
    const c = this.comments[i]!;
    if (this.src.slice(from, c.span.start).includes('\n')) return undefined;
    this.used[i] = true;
    return c;
  }

  private blankBetween(from: number, to: number): boolean {
    return from < to && BLANK_LINE.test(this.src.slice(from, to));
  }

  private comment(c: CommentNode, depth: number, blank = false): void {
    this.lines.push({ depth, text: c.text, code: false, blank });
  }

  /** Appends a comment to the last line when that line is code; otherwise prints it on its own line. */
  private trail(c: CommentNode | undefined, depth: number): void {
    if (!c) return;
    const last = this.lines[this.lines.length - 1];
    if (last && last.code && !last.trailed) {
      last.text += ' ' + c.text;
      last.trailed = true;
    } else this.comment(c, depth);
  }

  // ------------------------------------------------------------ statements

  /**
   * Prints the statements of a body whose text lies in [from, to): leading
   * comments before each statement, trailing comments after it, dangling
   * comments at the end. Blank lines follow the source (collapsed to one),
   * never at the start or end of the body.
   */
  private body(items: Item[], from: number, to: number, depth: number): void {
    const first = this.lines.length;
    let prevEnd = from;
    const blank = (at: number): boolean => this.lines.length > first && this.blankBetween(prevEnd, at);
    const widths = alignWidths(items, (a, b) => this.blankBetween(a, b));
    items.forEach((it, k) => {
      for (const c of this.take(prevEnd, it.span.start)) {
        this.comment(c, depth, blank(c.span.start));
        prevEnd = c.span.end;
      }
      const blankHere = blank(it.span.start);
      const at = this.lines.length;
      this.item(it, depth, widths[k]);
      if (this.lines[at]) this.lines[at]!.blank = blankHere;
      const next = k + 1 < items.length ? items[k + 1]!.span.start : to;
      const t = this.sameLine(it.span.end, next);
      this.trail(t, depth);
      prevEnd = t ? t.span.end : it.span.end;
    });
    for (const c of this.take(prevEnd, to)) {
      this.comment(c, depth, blank(c.span.start));
      prevEnd = c.span.end;
    }
  }

  private item(it: Item, depth: number, keyWidth: number | undefined): void {
    switch (it.kind) {
      case 'block':
        return this.block(it, depth);
      case 'rule':
        return this.rule(it, depth);
      default:
        this.lines.push({ depth, text: statementText(it, keyWidth), code: true });
        // Comments inside a one-line statement (e.g. in a list written over lines) follow it.
        for (const c of this.take(it.span.start, it.span.end)) this.comment(c, depth);
    }
  }

  private block(b: BlockNode, depth: number): void {
    const headEnd = (b.label ?? b.keyword).span.end;
    const open = this.openBrace(headEnd);
    // Comments between the name and `{` go before the block.
    for (const c of this.take(b.span.start, open)) this.comment(c, depth);
    const head = `${b.keyword.raw}${b.label ? ' ' + b.label.raw : ''} {`;
    // INVARIANT: format() only runs on files without syntax errors, so `close` is set.
    const close = b.close ? b.close.start : b.span.end;
    const bodyStart = this.lines.length;
    this.lines.push({ depth, text: head, code: true });
    const firstStart = b.items.length ? b.items[0]!.span.start : close;
    const t = this.sameLine(open + 1, firstStart);
    this.trail(t, depth);
    const before = this.lines.length;
    this.body(b.items, t ? t.span.end : open + 1, close, depth + 1);
    if (this.lines.length === before && !t) {
      this.lines[bodyStart]!.text = head + '}';
      return;
    }
    this.lines.push({ depth, text: '}', code: true });
  }

  /** Offset of the `{` that opens a block whose header ends at `from` (comments skipped). */
  private openBrace(from: number): number {
    let i = from;
    while (i < this.src.length) {
      const ch = this.src[i]!;
      if (ch === '{') return i;
      if (ch === '#') {
        const nl = this.src.indexOf('\n', i);
        i = nl < 0 ? this.src.length : nl;
      } else i++;
    }
    return from;
  }

  private rule(r: RuleNode, depth: number): void {
    const head = `${r.effect.spelling} ${r.tool.raw}`;
    if (!r.multiline || r.clauses.length === 0) {
      this.lines.push({ depth, text: [head, ...r.clauses.map(printClause)].join(' '), code: true });
      for (const c of this.take(r.span.start, r.span.end)) this.comment(c, depth);
      return;
    }
    // Multi-line rule: `EFFECT TOOL`, then one clause per line; comments stay next to the clause they follow.
    for (const c of this.take(r.span.start, r.tool.span.end)) this.comment(c, depth);
    this.lines.push({ depth, text: head, code: true });
    let prevEnd = r.tool.span.end;
    r.clauses.forEach((cl, k) => {
      this.trail(this.sameLine(prevEnd, cl.span.start), depth + 1);
      for (const c of this.take(prevEnd, cl.span.start)) this.comment(c, depth + 1);
      this.lines.push({ depth: depth + 1, text: printClause(cl), code: true });
      // Comments inside the last clause end up after the rule once it is printed: indent them as
      // the statements that follow, so that formatting the output again moves nothing.
      const last = k === r.clauses.length - 1;
      for (const c of this.take(cl.span.start, cl.span.end)) this.comment(c, last ? depth : depth + 1);
      prevEnd = cl.span.end;
    });
  }
}

/**
 * Key widths for `=` alignment: a run is consecutive `key = value` fields of
 * one body with no empty line between them (comment lines are allowed); each field of a run of two or
 * more gets the width of the run's longest key.
 */
function alignWidths(items: Item[], blankBetween: (from: number, to: number) => boolean): (number | undefined)[] {
  const widths: (number | undefined)[] = items.map(() => undefined);
  let runStart = 0;
  const close = (end: number): void => {
    if (end - runStart >= 2) {
      let w = 0;
      for (let i = runStart; i < end; i++) w = Math.max(w, (items[i] as FieldNode).key.raw.length);
      for (let i = runStart; i < end; i++) widths[i] = w;
    }
  };
  items.forEach((it, i) => {
    const eq = it.kind === 'field' && it.sep === '=';
    // Comment lines do not break a run; an empty line does.
    const continues = eq && i > runStart && !blankBetween(items[i - 1]!.span.end, it.span.start);
    if (!continues) {
      close(i);
      runStart = eq ? i : i + 1;
    }
  });
  close(items.length);
  return widths;
}

function sepText(sep: FieldSep): string {
  return sep === '=' ? ' = ' : sep === ':' ? ': ' : ' ';
}

/** The one-line text of a statement that is neither a block nor a rule. */
function statementText(it: Exclude<Item, BlockNode | RuleNode>, keyWidth: number | undefined): string {
  switch (it.kind) {
    case 'field': {
      const key = keyWidth !== undefined ? it.key.raw.padEnd(keyWidth) : it.key.raw;
      let s = key + sepText(it.sep) + printValue(it.values[0]!);
      for (let i = 1; i < it.values.length; i++) s += sepText(it.valueSeps?.[i] ?? '') + printValue(it.values[i]!);
      return s;
    }
    case 'import':
      return `import ${it.ref.raw}${it.alias ? ' as ' + it.alias.raw : ''}${it.widen ? ' with widen' : ''}`;
    case 'rate_limit':
      return `rate_limit ${it.pattern.raw}${it.colon ? ':' : ''} ${it.count.raw} per ${it.window.raw}`;
    case 'redact':
      return `redact ${it.tool.raw} args${it.colon ? ':' : ''} ${printValue(it.paths)}`;
    case 'var':
      return `var ${it.name.raw}${sepText(it.sep)}${printValue(it.value)}`;
    case 'manifest':
      return ['manifest', ...it.words.map(printValue)].join(' ');
  }
}
