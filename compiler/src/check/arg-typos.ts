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
 * (two for long names) from an argument the stack uses more often
 * (`args.ammount` beside `args.amount`), or from a `redact` path. Such a
 * condition is unknown on every real call, so the rule never fires as meant;
 * a warning, so `check --strict` fails it. The rarer spelling is the suspect;
 * on a tie, the one written later. Names that differ in digits or a plural
 * `s` are taken as different on purpose. The bare-name note (FMS2019) at the
 * same place is dropped: one diagnostic per mistake.
 */
export function checkArgTypos(ir: Policy, sink: DiagnosticSink): void {
  const uses: Use[] = [];
  const seen = new Set<string>();
  for (const a of ir.agents) {
    for (const r of a.rules) {
      const own = r.loc.file === ir.file;
      const before = uses.length;
      collect(r.when, own, uses);
      // Flat rules are lowered once per agent: count each written place once.
      for (let i = before; i < uses.length; i++) {
        const key = `${uses[i]!.span.start}:${uses[i]!.span.end}:${own}`;
        if (seen.has(key)) uses.splice(i--, 1);
        else seen.add(key);
      }
    }
  }
  // A name the lowerer already reported as a misspelling (FMS2100) is no evidence for another spelling.
  const reported = new Set<string>();
  for (const d of sink.items) if (d.code === 'FMS2100') reported.add(`${d.span.start}:${d.span.end}`);
  for (let i = uses.length - 1; i >= 0; i--) if (uses[i]!.own && reported.has(`${uses[i]!.span.start}:${uses[i]!.span.end}`)) uses.splice(i, 1);
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
  const suspect = new Map<string, string>();
  for (const p of count.keys()) {
    let best: string | undefined;
    for (const q of names) {
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
  // No cascade: the bare-name note at a place now reported as a typo goes.
  for (let i = sink.items.length - 1; i >= 0; i--) {
    const d = sink.items[i]!;
    if (d.code === 'FMS2019' && reported.has(`${d.span.start}:${d.span.end}`)) sink.items.splice(i, 1);
  }
}
