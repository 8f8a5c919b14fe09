/**
 * A unified diff (`diff -u` layout, 3 lines of context) of two texts, line by
 * line, for `fmsc fmt --diff`. Empty when the texts are equal. The edit script
 * is a plain LCS over the lines that differ after the common head and tail are
 * trimmed; when that middle is larger than `maxCells` line pairs it falls back
 * to "replace the whole middle", so a huge input never takes quadratic memory.
 */
export function unifiedDiff(a: string, b: string, nameA: string, nameB: string, maxCells = 4_000_000): string {
  if (a === b) return '';
  const x = splitLines(a);
  const y = splitLines(b);
  let head = 0;
  while (head < x.length && head < y.length && x[head] === y[head]) head++;
  let tail = 0;
  while (tail < x.length - head && tail < y.length - head && x[x.length - 1 - tail] === y[y.length - 1 - tail]) tail++;
  const xm = x.slice(head, x.length - tail);
  const ym = y.slice(head, y.length - tail);
  const ops: Array<{ op: ' ' | '-' | '+'; line: string }> = x.slice(0, head).map((line) => ({ op: ' ', line }));
  if (xm.length * ym.length <= maxCells) {
    // LCS table, then walk it forward.
    const n = xm.length;
    const m = ym.length;
    const t = new Uint32Array((n + 1) * (m + 1));
    for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) t[i * (m + 1) + j] = xm[i] === ym[j] ? t[(i + 1) * (m + 1) + j + 1] + 1 : Math.max(t[(i + 1) * (m + 1) + j], t[i * (m + 1) + j + 1]);
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && xm[i] === ym[j]) {
        ops.push({ op: ' ', line: xm[i++] });
        j++;
      } else if (i < n && (j === m || t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1])) ops.push({ op: '-', line: xm[i++] });
      else ops.push({ op: '+', line: ym[j++] });
    }
  } else {
    for (const line of xm) ops.push({ op: '-', line });
    for (const line of ym) ops.push({ op: '+', line });
  }
  for (const line of x.slice(x.length - tail)) ops.push({ op: ' ', line });
  return `--- ${nameA}\n+++ ${nameB}\n` + hunks(ops);
}

function splitLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += '\n\\ No newline at end of file';
  return lines;
}

function hunks(ops: Array<{ op: ' ' | '-' | '+'; line: string }>, context = 3): string {
  let out = '';
  let k = 0;
  while (k < ops.length) {
    while (k < ops.length && ops[k].op === ' ') k++;
    if (k >= ops.length) break;
    let start = Math.max(0, k - context);
    let end = k;
    // extend while the next change is within 2*context lines
    for (;;) {
      while (end < ops.length && ops[end].op !== ' ') end++;
      let next = end;
      while (next < ops.length && ops[next].op === ' ') next++;
      if (next < ops.length && next - end <= 2 * context) end = next;
      else break;
    }
    const stop = Math.min(ops.length, end + context);
    let oldStart = 1;
    let newStart = 1;
    for (let i = 0; i < start; i++) {
      if (ops[i].op !== '+') oldStart++;
      if (ops[i].op !== '-') newStart++;
    }
    const slice = ops.slice(start, stop);
    const oldLen = slice.filter((o) => o.op !== '+').length;
    const newLen = slice.filter((o) => o.op !== '-').length;
    out += `@@ -${oldLen ? oldStart : oldStart - 1},${oldLen} +${newLen ? newStart : newStart - 1},${newLen} @@\n`;
    for (const o of slice) out += `${o.op}${o.line}\n`;
    k = stop;
    start = stop;
  }
  return out;
}
