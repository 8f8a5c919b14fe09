import type { DiagnosticSink } from '../diagnostics/diagnostic';
import type { Expr, Policy, Span } from '../ir/types';
import { didYouMeanHelp, typoSuspect } from '../util/did-you-mean';

/** One place a condition reads an argument path. */
interface Use {
  /** The path after `args.` (`amount`, `customer.email`). */
  path: string;
  span: Span;
  /** Written as `args.PATH` (else as a bare name). */
  prefixed: boolean;
  /** In the checked file (imported rules are candidates, never reported). */
  own: boolean;
}

/** Longest argument path (UTF-16 units) the check looks at; longer ones are never typo suspects. */
const MAX_PATH = 256;
/** Segments of 8 characters up to this long get two-deletion keys (two edits); others one (one edit). */
const MAX_TWO_EDIT_SEGMENT = 32;
/** A key shared by more names than this says nothing (`v1` … `v99`): it is not used. */
const MAX_BUCKET = 16;

/** The deletion neighbourhood of one segment (lower case): the segment and its 1- (and 2-) deletions. */
function deletions(seg: string, two: boolean): Set<string> {
  const out = new Set([seg]);
  for (let i = 0; i < seg.length; i++) {
    const d1 = seg.slice(0, i) + seg.slice(i + 1);
    out.add(d1);
    if (two) for (let j = i; j < d1.length; j++) out.add(d1.slice(0, j) + d1.slice(j + 1));
  }
  return out;
}

/**
 * Candidate generation for {@link typoSuspect} without comparing every pair
 * (symmetric deletion): two paths that differ by at most two edits in one
 * segment share a key made of the other segments and a deletion variant of
 * that one. Returns, for a name, the names sharing a key with it.
 */
function nearNames(names: readonly string[]): (name: string) => Set<string> {
  const index = new Map<string, string[]>();
  const keysOf = new Map<string, string[]>();
  for (const n of names) {
    if (n.length > MAX_PATH) continue;
    const segs = n.toLowerCase().split('.');
    const keys: string[] = [];
    segs.forEach((seg, i) => {
      const head = `${i}\u0000${segs.slice(0, i).join('.')}\u0000${segs.slice(i + 1).join('.')}\u0000`;
      for (const d of deletions(seg, seg.length >= 8 && seg.length <= MAX_TWO_EDIT_SEGMENT)) keys.push(head + d);
    });
    keysOf.set(n, keys);
    for (const k of keys) {
      const b = index.get(k);
      if (b === undefined) index.set(k, [n]);
      else if (b.length <= MAX_BUCKET && b[b.length - 1] !== n) b.push(n);
    }
  }
  return (name) => {
    const out = new Set<string>();
    for (const k of keysOf.get(name) ?? []) {
      const b = index.get(k);
      if (b && b.length <= MAX_BUCKET) for (const x of b) if (x !== name) out.add(x);
    }
    return out;
  };
}

function collect(e: Expr | undefined, own: boolean, out: Use[]): void {
  if (!e) return;
  switch (e.k) {
    case 'var': {
      if (e.root !== 'args' || e.path.length === 0) return;
      const path = e.path.join('.');
      out.push({ path, span: e.span, prefixed: e.span.end - e.span.start === 5 + path.length, own });
      return;
    }
    case 'list':
      for (const x of e.items) collect(x, own, out);
      return;
    case 'not':
      collect(e.e, own, out);
      return;
    case 'and':
    case 'or':
    case 'cmp':
    case 'in':
    case 'strop':
      collect(e.l, own, out);
      collect(e.r, own, out);
      return;
    case 'matches':
      collect(e.l, own, out);
      return;
    case 'call':
      for (const x of e.args) collect(x, own, out);
      return;
    case 'lit':
      return;
  }
}

/**
 * FMS2100 (warning): a condition reads an argument whose name is one edit
 * (two for names of 8 to 32 characters) from an argument the stack uses more often
 * (`args.ammount` beside `args.amount`), or from a `redact` path. Such a
 * condition is unknown on every real call, so the rule never fires as meant;
 * a warning, so `check --strict` fails it. The rarer spelling is the suspect;
 * on a tie, the one written later. Names that differ in digits or a plural
 * `s` are taken as different on purpose. The bare-name note (FMS2019) at the
 * same place is dropped: one diagnostic per mistake.
 */
export function checkArgTypos(ir: Policy, sink: DiagnosticSink): void {
  // A name the lowerer already reported as a misspelling (FMS2100) is no evidence for another spelling.
  const reported = new Set<string>();
  for (const d of sink.items) if (d.code === 'FMS2100') reported.add(`${d.span.start}:${d.span.end}`);
  const uses: Use[] = [];
  const seen = new Set<string>();
  const found: Use[] = [];
  for (const a of ir.agents) {
    for (const r of a.rules) {
      if (!r.when) continue;
      const own = r.loc.file === ir.file;
      found.length = 0;
      collect(r.when, own, found);
      for (const u of found) {
        // Flat rules are lowered once per agent: count each written place once.
        const at = `${u.span.start}:${u.span.end}`;
        const key = own ? at : `${r.loc.file}\u0000${at}`;
        if (seen.has(key)) continue;
        seen.add(key);
        if (own && reported.has(at)) continue;
        uses.push(u);
      }
    }
  }
  const count = new Map<string, number>();
  const firstAt = new Map<string, number>();
  for (const u of uses) {
    count.set(u.path, (count.get(u.path) ?? 0) + 1);
    if (!firstAt.has(u.path) || !u.own) firstAt.set(u.path, u.own ? u.span.start : -1);
  }
  // Redacted paths name real arguments: they are candidates too (never suspects).
  const redacted = new Set<string>();
  for (const a of ir.agents) for (const red of a.redactions) for (const p of red.paths) redacted.add(p);
  const names = [...new Set([...count.keys(), ...redacted])];
  const near = nearNames(names);
  const suspect = new Map<string, string>();
  for (const p of count.keys()) {
    let best: string | undefined;
    for (const q of near(p)) {
      if (!typoSuspect(p, q)) continue;
      const cp = count.get(p)!;
      const cq = (count.get(q) ?? 0) + (redacted.has(q) ? 1 : 0);
      const rarer = cp < cq || (cp === cq && (firstAt.get(p) ?? 0) > (firstAt.get(q) ?? 0));
      if (rarer && (best === undefined || cq > (count.get(best) ?? 0))) best = q;
    }
    if (best !== undefined) suspect.set(p, best);
  }
  if (suspect.size === 0) return;
  for (const u of uses) {
    const q = suspect.get(u.path);
    if (q === undefined || !u.own) continue;
    const at = `${u.span.start}:${u.span.end}`;
    if (reported.has(at)) continue;
    reported.add(at);
    const written = u.prefixed ? `args.${u.path}` : u.path;
    const meant = u.prefixed ? `args.${q}` : q;
    const elsewhere = count.has(q) ? `the stack reads \`args.${q}\` elsewhere` : `\`${q}\` is a \`redact\` path`;
    sink.accept({
      code: 'FMS2100',
      severity: 'warning',
      message: `\`${written}\` looks like a misspelling of \`${meant}\`: ${elsewhere}`,
      span: u.span,
      help: `${didYouMeanHelp(meant)} A call that carries \`${q}\` leaves \`${written}\` unknown, so this condition never matches it`,
    });
  }
  // No cascade: the bare-name note at a place now reported as a typo goes (one pass, in place).
  let w = 0;
  for (const d of sink.items) if (!(d.code === 'FMS2019' && reported.has(`${d.span.start}:${d.span.end}`))) sink.items[w++] = d;
  sink.items.length = w;
}
