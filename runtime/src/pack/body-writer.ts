import type { BodyModel, PatternModel } from './body-model';
import {
  BODY_HEADER_SIZE,
  BODY_MAGIC,
  BODY_VERSION,
  ByteWriter,
  CONST_TAG,
  NONE,
  NONE16,
  SECTION,
  SECTION_ENTRY_SIZE,
  crc32,
  encodeUtf8,
} from './format';

/** Collects every string the model refers to, in canonical (UTF-8 byte) order. */
function collectStrings(m: BodyModel): string[] {
  const set = new Set<string>();
  const add = (s: string | null): void => {
    if (s !== null) set.add(s);
  };
  const pat = (p: PatternModel): void => add(p.text);
  add(m.file);
  add(m.producer);
  for (const c of m.consts) if (c.t === 'str') add(c.v);
  for (const p of m.paths) p.segs.forEach(add);
  m.regexes.forEach(add);
  for (const a of m.agents) {
    add(a.id);
    add(a.model);
    add(a.file);
  }
  for (const r of m.rules) {
    pat(r.pattern);
    add(r.reason);
    add(r.notify);
  }
  for (const l of m.ruleLocs) {
    add(l.text);
    add(l.file);
  }
  for (const p of m.phases) {
    add(p.id);
    add(p.file);
    p.tools.forEach(pat);
  }
  for (const r of m.rateLimits) {
    pat(r.pattern);
    add(r.file);
  }
  for (const b of m.budgets) {
    add(b.id);
    add(b.file);
  }
  for (const h of m.hostLists) {
    h.allow.forEach(add);
    h.deny.forEach(add);
    add(h.file);
  }
  for (const r of m.redactions) {
    pat(r.pattern);
    r.paths.forEach(add);
    add(r.file);
  }
  for (const l of m.sessionLimits ?? []) add(l.file);
  for (const d of m.delegations ?? []) {
    d.targets.forEach(add);
    if (d.scope) pat(d.scope);
    if (d.bound) d.bound.path.forEach(add);
    add(d.file);
  }
  for (const s of set) if (LONE_SURROGATE.test(s)) throw new RangeError(`string with a lone surrogate: ${JSON.stringify(s)}`);
  // UTF-16 code-unit order: the order the loader checks with one `<` per string.
  return [...set].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** A UTF-16 surrogate without its partner (not encodable as UTF-8). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Serialises a body model. Deterministic: the same model gives the same bytes.
 * Throws RangeError on a model that cannot be encoded (a compiler bug).
 */
export function writeBody(m: BodyModel): Uint8Array {
  const strings = collectStrings(m);
  const sidx = new Map<string, number>();
  strings.forEach((s, i) => sidx.set(s, i));
  const S = (s: string): number => sidx.get(s)!;
  const OS = (s: string | null): number => (s === null ? NONE : S(s));
  const sections: Array<[number, Uint8Array]> = [];
  const sec = (type: number, f: (w: ByteWriter) => void): void => {
    const w = new ByteWriter();
    f(w);
    sections.push([type, w.finish()]);
  };
  const pat = (w: ByteWriter, p: PatternModel): void => {
    w.u8(p.kind).u32(S(p.text));
  };

  sec(SECTION.META, (w) => {
    w.u32(S(m.file)).u32(m.irVersion).u32(S(m.producer));
  });
  sec(SECTION.STRINGS, (w) => {
    w.u32(strings.length);
    let end = 0;
    for (const s of strings) w.u32((end += s.length));
    w.bytes(encodeUtf8(strings.join('')));
  });
  sec(SECTION.CONSTS, (w) => {
    w.u32(m.consts.length);
    for (const c of m.consts) {
      switch (c.t) {
        case 'nil':
          w.u8(CONST_TAG.nil);
          break;
        case 'bool':
          w.u8(c.v ? CONST_TAG.true : CONST_TAG.false);
          break;
        case 'num':
          w.u8(CONST_TAG.num).f64(c.v);
          break;
        case 'str':
          w.u8(CONST_TAG.str).u32(S(c.v));
          break;
        case 'list':
          w.u8(CONST_TAG.list).u32(c.items.length);
          for (const i of c.items) w.u32(i);
          break;
      }
    }
  });
  sec(SECTION.PATHS, (w) => {
    w.u32(m.paths.length);
    for (const p of m.paths) {
      w.u8(p.root).u16(p.segs.length);
      for (const s of p.segs) w.u32(S(s));
    }
  });
  sec(SECTION.REGEXES, (w) => {
    w.u32(m.regexes.length);
    for (const r of m.regexes) w.u32(S(r));
  });
  sec(SECTION.AGENTS, (w) => {
    w.u32(m.agents.length);
    for (const a of m.agents) {
      w.u32(S(a.id)).u8(a.defaultEffect).u8(a.defaultDeclared ? 1 : 0).u32(OS(a.model));
      w.u32(a.line).u32(a.col).u32(S(a.file));
      w.u32(a.ruleCount).u32(a.phaseCount).u32(a.rateLimitCount).u32(a.budgetCount).u32(a.redactionCount);
      w.u32(a.egress < 0 ? NONE : a.egress).u32(a.modelPolicy < 0 ? NONE : a.modelPolicy);
    }
  });
  sec(SECTION.RULES, (w) => {
    w.u32(m.rules.length);
    for (const r of m.rules) {
      w.u8(r.effect).u8(r.mandatory ? 1 : 0).u8(r.origin).u16(r.phase < 0 ? NONE16 : r.phase);
      pat(w, r.pattern);
      w.u32(r.codeLen).u16(r.maxStack).u32(OS(r.reason)).u32(OS(r.notify));
    }
  });
  sec(SECTION.BYTECODE, (w) => {
    w.bytes(m.code);
  });
  sec(SECTION.RULE_MAP, (w) => {
    w.u32(m.ruleLocs.length);
    for (const l of m.ruleLocs) w.u32(l.line).u32(l.col).u32(S(l.text)).u32(S(l.file));
  });
  sec(SECTION.PHASES, (w) => {
    w.u32(m.phases.length);
    for (const p of m.phases) {
      w.u32(S(p.id)).u8(p.duration === null ? 0 : 1);
      if (p.duration !== null) w.f64(p.duration);
      w.u16(p.next < 0 ? NONE16 : p.next).u32(p.line).u32(p.col).u32(S(p.file)).u32(p.tools.length);
      for (const t of p.tools) pat(w, t);
    }
  });
  sec(SECTION.RATE_LIMITS, (w) => {
    w.u32(m.rateLimits.length);
    for (const r of m.rateLimits) {
      pat(w, r.pattern);
      w.u32(r.count).u8(r.per).u32(r.line).u32(S(r.file));
    }
  });
  sec(SECTION.BUDGETS, (w) => {
    w.u32(m.budgets.length);
    for (const b of m.budgets) {
      const flags = (b.max !== null ? 1 : 0) | (b.daily !== null ? 2 : 0) | (b.maxCalls !== null ? 4 : 0) | (b.warnAt !== null ? 8 : 0);
      w.u32(S(b.id)).u8(b.window).u8(b.onExceed).u8(flags);
      if (b.max !== null) w.f64(b.max);
      if (b.daily !== null) w.f64(b.daily);
      if (b.maxCalls !== null) w.u32(b.maxCalls);
      if (b.warnAt !== null) w.f64(b.warnAt);
      w.u32(b.line).u32(S(b.file));
    }
  });
  sec(SECTION.HOST_LISTS, (w) => {
    w.u32(m.hostLists.length);
    for (const h of m.hostLists) {
      w.u8(h.kind).u32(h.line).u32(S(h.file)).u32(h.allow.length);
      for (const s of h.allow) w.u32(S(s));
      w.u32(h.deny.length);
      for (const s of h.deny) w.u32(S(s));
    }
  });
  sec(SECTION.REDACTIONS, (w) => {
    w.u32(m.redactions.length);
    for (const r of m.redactions) {
      pat(w, r.pattern);
      w.u32(r.line).u32(S(r.file)).u32(r.paths.length);
      for (const p of r.paths) w.u32(S(p));
    }
  });
  if (m.sessionLimits && m.sessionLimits.length > 0) {
    const list = m.sessionLimits;
    sec(SECTION.SESSION_LIMITS, (w) => {
      w.u32(list.length);
      for (const l of list) {
        const flags = (l.maxDuration !== null ? 1 : 0) | (l.idleTimeout !== null ? 2 : 0) | (l.maxCalls !== null ? 4 : 0) | (l.maxCost !== null ? 8 : 0);
        w.u32(l.agent).u8(flags);
        if (l.maxDuration !== null) w.f64(l.maxDuration);
        if (l.idleTimeout !== null) w.f64(l.idleTimeout);
        if (l.maxCalls !== null) w.u32(l.maxCalls);
        if (l.maxCost !== null) w.f64(l.maxCost);
        w.u32(l.line).u32(S(l.file));
      }
    });
  }
  if (m.delegations && m.delegations.length > 0) {
    const list = m.delegations;
    sec(SECTION.DELEGATIONS, (w) => {
      w.u32(list.length);
      for (const d of list) {
        w.u32(d.agent).u32(d.targets.length);
        for (const t of d.targets) w.u32(S(t));
        const flags = (d.scope ? 1 : 0) | (d.bound ? 2 : 0) | (d.ttl !== null ? 4 : 0) | (d.maxDepth !== null ? 8 : 0);
        w.u8(flags);
        if (d.scope) pat(w, d.scope);
        if (d.bound) {
          w.u16(d.bound.path.length);
          for (const p of d.bound.path) w.u32(S(p));
          w.u8(d.bound.op).f64(d.bound.value);
        }
        if (d.ttl !== null) w.f64(d.ttl);
        w.u8(d.ceiling);
        if (d.maxDepth !== null) w.u32(d.maxDepth);
        w.u32(d.line).u32(S(d.file));
      }
    });
  }
  for (const [type, bytes] of [...m.reserved.entries()].sort((a, b) => a[0] - b[0])) sections.push([type, bytes]);

  const out = new ByteWriter();
  for (const b of BODY_MAGIC) out.u8(b);
  out.u16(BODY_VERSION).u16(sections.length);
  let off = BODY_HEADER_SIZE + sections.length * SECTION_ENTRY_SIZE;
  for (const [type, bytes] of sections) {
    out.u16(type).u16(0).u32(off).u32(bytes.length).u32(crc32(bytes));
    off += bytes.length;
  }
  for (const [, bytes] of sections) out.bytes(bytes);
  return out.finish();
}
