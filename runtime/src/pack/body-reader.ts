import type {
  AgentModel,
  BodyModel,
  BudgetModel,
  ConstModel,
  HostListModel,
  PathModel,
  PatternModel,
  PhaseModel,
  RateLimitModel,
  DelegationModel,
  RedactionModel,
  RuleLocModel,
  SessionLimitModel,
  RuleModel,
} from './body-model';
import {
  BODY_HEADER_SIZE,
  BODY_MAGIC,
  BODY_VERSION,
  BUDGET_WINDOW_NAMES,
  ByteReader,
  CONST_TAG,
  EFFECT,
  EFFECT_NAMES,
  HOST_LIST_KIND,
  LIMITS,
  NONE,
  NONE16,
  OPTIONAL_SECTIONS,
  CEILING_NAMES,
  CMP_NAMES,
  ON_EXCEED_NAMES,
  ORIGIN_NAMES,
  PATTERN,
  PATTERN_NAMES,
  PackError,
  REQUIRED_SECTIONS,
  RULE_RECORD_SIZE,
  RESERVED_SECTIONS,
  ROOT_NAMES,
  SECTION,
  SECTION_ENTRY_SIZE,
  WINDOW_NAMES,
  crc32,
  decodeUtf8,
} from './format';
import { readFenceSections } from '../os/profile';

/** Options of `readBody`. */
export interface ReadBodyOptions {
  /**
   * Check each section's CRC-32 (default true). Tests turn it off to show that
   * the structural checks alone catch corruption of the structure.
   */
  checksums?: boolean;
}

/** Checks that a pattern's text agrees with its kind. */
function checkPattern(kind: number, text: string, what: string): void {
  const star = text.indexOf('*');
  switch (kind) {
    case PATTERN.any:
      if (text !== '*') throw new PackError(`${what}: pattern kind any with text \`${text}\``);
      return;
    case PATTERN.exact:
      if (text.length === 0 || star >= 0) throw new PackError(`${what}: bad exact pattern \`${text}\``);
      return;
    case PATTERN.glob:
      if (star < 0 || text === '*') throw new PackError(`${what}: bad glob pattern \`${text}\``);
      return;
    case PATTERN.prefix:
      if (!text.endsWith('*') || text === '*') throw new PackError(`${what}: bad prefix pattern \`${text}\``);
      return;
    default:
      throw new PackError(`${what}: bad pattern kind ${kind}`);
  }
}

/**
 * Parses a pack body strictly: header, section table (ascending known types,
 * contiguous, covering the body exactly, per-section CRC-32), then each section
 * with every count, index, enum and cross-table range checked. Strings must be
 * sorted, unique, valid UTF-8 and each referenced at least once. Throws
 * PackError with a one-line reason on any violation; never anything else.
 * Bytecode is checked separately by the verifier.
 */
export function readBody(body: Uint8Array, opts: ReadBodyOptions = {}): BodyModel {
  try {
    return readBodyUnchecked(body, opts.checksums !== false);
  } catch (e) {
    if (e instanceof PackError) throw e;
    // Fail closed: anything unexpected is still a refusal with one line.
    throw new PackError(`malformed pack body (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * The string table: `u32 n | n × u32 end | UTF-8 blob`. The blob is decoded
 * once (strict UTF-8); string i is the decoded text's UTF-16 code units
 * [end(i-1), end(i)). Strings are sorted and unique in code-unit order, and no
 * boundary may split a surrogate pair. One native decode and n slices: no
 * per-string decoder call.
 */
function readStrings(sr: ByteReader): string[] {
  const n = sr.count(LIMITS.maxStrings, 4);
  const ends = new Uint32Array(n);
  for (let i = 0; i < n; i++) ends[i] = sr.u32();
  const whole = decodeUtf8(sr.bytes(sr.end - sr.pos));
  sr.done();
  if ((n === 0 ? 0 : ends[n - 1]!) !== whole.length) throw new PackError('string table: offsets do not cover the string bytes');
  const strings: string[] = new Array(n);
  let start = 0;
  let prev = '';
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    if (end < start) throw new PackError(`string table: offset of string ${i} goes backwards`);
    if (end - start > LIMITS.maxStringLength) throw new PackError(`string table: string ${i} is too long`);
    if (end > 0 && end < whole.length && (whole.charCodeAt(end - 1) & 0xfc00) === 0xd800) throw new PackError(`string table: string ${i} ends inside a character`);
    const s = whole.slice(start, end);
    if (i > 0 && !(prev < s)) throw new PackError(`string table: not sorted and unique at string ${i}`);
    strings[i] = s;
    prev = s;
    start = end;
  }
  return strings;
}

function readBodyUnchecked(body: Uint8Array, checksums: boolean): BodyModel {
  if (!(body instanceof Uint8Array)) throw new PackError('pack body is not bytes');
  if (body.length > LIMITS.maxBody) throw new PackError(`pack body is too large (${body.length} bytes)`);
  if (body.length < BODY_HEADER_SIZE) throw new PackError('pack body is truncated (no header)');
  for (let i = 0; i < 4; i++) if (body[i] !== BODY_MAGIC[i]) throw new PackError('pack body has a bad magic number');
  const hdr = new ByteReader(body, 4, BODY_HEADER_SIZE, 'header');
  const version = hdr.u16();
  if (version !== BODY_VERSION) throw new PackError(`unsupported pack body version ${version}`);
  const nsec = hdr.u16();
  if (nsec > LIMITS.maxSections) throw new PackError(`too many sections (${nsec})`);
  const tableEnd = BODY_HEADER_SIZE + nsec * SECTION_ENTRY_SIZE;
  if (tableEnd > body.length) throw new PackError('section table is truncated');
  const tr = new ByteReader(body, BODY_HEADER_SIZE, tableEnd, 'section table');
  const ranges = new Map<number, [number, number]>();
  let expectOff = tableEnd;
  let lastType = -1;
  for (let i = 0; i < nsec; i++) {
    const type = tr.u16();
    const flags = tr.u16();
    const off = tr.u32();
    const len = tr.u32();
    const crc = tr.u32();
    if (type <= lastType) throw new PackError(`section table is not in ascending type order at entry ${i}`);
    lastType = type;
    if (!REQUIRED_SECTIONS.includes(type) && !OPTIONAL_SECTIONS.includes(type) && !RESERVED_SECTIONS.includes(type)) throw new PackError(`unknown section type 0x${type.toString(16)}`);
    if (flags !== 0) throw new PackError(`section 0x${type.toString(16)} has unknown flags ${flags}`);
    if (off !== expectOff) throw new PackError(`section 0x${type.toString(16)} is not contiguous (offset ${off}, expected ${expectOff})`);
    if (len > body.length - off) throw new PackError(`section 0x${type.toString(16)} overruns the body`);
    if (checksums && crc32(body, off, off + len) !== crc) throw new PackError(`section 0x${type.toString(16)} fails its checksum`);
    ranges.set(type, [off, off + len]);
    expectOff = off + len;
  }
  if (expectOff !== body.length) throw new PackError(`${body.length - expectOff} trailing bytes after the last section`);
  for (const t of REQUIRED_SECTIONS) if (!ranges.has(t)) throw new PackError(`required section 0x${t.toString(16)} is missing`);
  const R = (type: number, what: string): ByteReader => {
    const [s, e] = ranges.get(type)!;
    return new ByteReader(body, s, e, what);
  };

  // STRINGS: offsets into one strict-UTF-8 blob; sorted by bytes and unique.
  const strings = readStrings(R(SECTION.STRINGS, 'string table'));
  const nstr = strings.length;
  const used = new Uint8Array(nstr);
  const str = (r: ByteReader): string => {
    const i = r.u32();
    if (i >= nstr) throw new PackError(`${r.what}: string index ${i} out of range`);
    used[i] = 1;
    return strings[i]!;
  };
  const optStr = (r: ByteReader): string | null => {
    const i = r.u32();
    if (i === NONE) return null;
    if (i >= nstr) throw new PackError(`${r.what}: string index ${i} out of range`);
    used[i] = 1;
    return strings[i]!;
  };
  const pattern = (r: ByteReader): PatternModel => {
    const kind = r.enumOf(PATTERN_NAMES.length, 'pattern kind');
    const text = str(r);
    checkPattern(kind, text, r.what);
    return { kind, text };
  };
  const line = (r: ByteReader): number => {
    const v = r.u32();
    if (v === 0) throw new PackError(`${r.what}: line 0`);
    return v;
  };

  // META
  const mr = R(SECTION.META, 'meta');
  const file = str(mr);
  const irVersion = mr.u32();
  if (irVersion !== 1) throw new PackError(`unsupported IR version ${irVersion}`);
  const producer = str(mr);
  mr.done();

  // CONSTS: read by offset like the rules (one pass, few calls).
  const cr = R(SECTION.CONSTS, 'constants');
  const nconst = cr.count(LIMITS.maxConsts, 1);
  const consts: ConstModel[] = new Array(nconst);
  {
    const b = body;
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    const end = cr.end;
    let p = cr.pos;
    const need = (n: number, i: number): void => {
      if (p + n > end) throw new PackError(`constants: truncated at constant ${i}`);
    };
    for (let i = 0; i < nconst; i++) {
      need(1, i);
      const tag = b[p++]!;
      switch (tag) {
        case CONST_TAG.nil:
          consts[i] = { t: 'nil' };
          break;
        case CONST_TAG.false:
        case CONST_TAG.true:
          consts[i] = { t: 'bool', v: tag === CONST_TAG.true };
          break;
        case CONST_TAG.num: {
          need(8, i);
          const v = dv.getFloat64(p, true);
          // NaN, infinities and -0 are refused (the writer never emits them).
          if (!Number.isFinite(v) || (v === 0 && 1 / v < 0)) throw new PackError(`constants: non-canonical number at byte ${p}`);
          p += 8;
          consts[i] = { t: 'num', v };
          break;
        }
        case CONST_TAG.str: {
          need(4, i);
          const si = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
          p += 4;
          if (si >= nstr) throw new PackError(`constants: string index ${si} out of range`);
          used[si] = 1;
          consts[i] = { t: 'str', v: strings[si]! };
          break;
        }
        case CONST_TAG.list: {
          cr.pos = p;
          const n = cr.count(LIMITS.maxListItems, 4);
          const items: number[] = new Array(n);
          for (let k = 0; k < n; k++) {
            const j = cr.u32();
            if (j >= i) throw new PackError(`constants: list ${i} refers to constant ${j} (not earlier)`);
            items[k] = j;
          }
          p = cr.pos;
          consts[i] = { t: 'list', items };
          break;
        }
        default:
          throw new PackError(`constants: bad tag ${tag} at constant ${i}`);
      }
    }
    cr.pos = p;
  }
  cr.done();

  // PATHS
  const pr = R(SECTION.PATHS, 'paths');
  const npath = pr.count(LIMITS.maxConsts, 3);
  const paths: PathModel[] = new Array(npath);
  for (let i = 0; i < npath; i++) {
    const root = pr.enumOf(ROOT_NAMES.length, 'variable root');
    const n = pr.u16();
    if (n > LIMITS.maxPathSegs) throw new PackError(`paths: path ${i} has too many segments`);
    const segs: string[] = new Array(n);
    for (let k = 0; k < n; k++) segs[k] = str(pr);
    paths[i] = { root, segs };
  }
  pr.done();

  // REGEXES
  const rr = R(SECTION.REGEXES, 'regexes');
  const nre = rr.count(LIMITS.maxConsts, 4);
  const regexes: string[] = new Array(nre);
  for (let i = 0; i < nre; i++) regexes[i] = str(rr);
  rr.done();

  // HOST_LISTS (read before agents so references can be checked)
  const hr = R(SECTION.HOST_LISTS, 'host lists');
  const nhl = hr.count(LIMITS.maxAgents * 2, 17);
  const hostLists: HostListModel[] = new Array(nhl);
  for (let i = 0; i < nhl; i++) {
    const kind = hr.enumOf(2, 'host list kind');
    const ln = line(hr);
    const hfile = str(hr);
    const na = hr.count(LIMITS.maxPatternList, 4);
    const allow: string[] = new Array(na);
    for (let k = 0; k < na; k++) allow[k] = str(hr);
    const nd = hr.count(LIMITS.maxPatternList, 4);
    const deny: string[] = new Array(nd);
    for (let k = 0; k < nd; k++) deny[k] = str(hr);
    hostLists[i] = { kind, allow, deny, line: ln, file: hfile };
  }
  hr.done();

  // AGENTS
  const ar = R(SECTION.AGENTS, 'agent table');
  const nag = ar.count(LIMITS.maxAgents, 50);
  const agents: AgentModel[] = new Array(nag);
  const ids = new Set<string>();
  const hlUsed = new Uint8Array(nhl);
  const hostRef = (kind: number): number => {
    const i = ar.u32();
    if (i === NONE) return -1;
    if (i >= nhl) throw new PackError(`agent table: host list index ${i} out of range`);
    if (hostLists[i]!.kind !== kind) throw new PackError(`agent table: host list ${i} has the wrong kind`);
    if (hlUsed[i]) throw new PackError(`agent table: host list ${i} referenced twice`);
    hlUsed[i] = 1;
    return i;
  };
  for (let i = 0; i < nag; i++) {
    const id = str(ar);
    if (ids.has(id)) throw new PackError(`agent table: duplicate agent \`${id}\``);
    ids.add(id);
    const defaultEffect = ar.enumOf(EFFECT_NAMES.length, 'default effect');
    const defaultDeclared = ar.bool();
    const model = optStr(ar);
    const ln = line(ar);
    const col = ar.u32();
    const afile = str(ar);
    const ruleCount = ar.u32();
    const phaseCount = ar.u32();
    const rateLimitCount = ar.u32();
    const budgetCount = ar.u32();
    const redactionCount = ar.u32();
    if (phaseCount > LIMITS.maxPhases) throw new PackError(`agent table: agent \`${id}\` has too many phases`);
    const egress = hostRef(HOST_LIST_KIND.egress);
    const modelPolicy = hostRef(HOST_LIST_KIND.model);
    agents[i] = { id, defaultEffect, defaultDeclared, model, line: ln, col, file: afile, ruleCount, phaseCount, rateLimitCount, budgetCount, redactionCount, egress, modelPolicy };
  }
  ar.done();
  for (let i = 0; i < nhl; i++) if (!hlUsed[i]) throw new PackError(`host list ${i} is not referenced by any agent`);
  const sum = (f: (a: AgentModel) => number): number => agents.reduce((s, a) => s + f(a), 0);

  // RULES: fixed-size records (RULE_RECORD_SIZE), read by offset: this loop
  // runs once per rule, mostly before V8 has optimised anything, so it makes
  // no calls but the pattern check.
  const ru = R(SECTION.RULES, 'rule table');
  const nrule = ru.count(LIMITS.maxRules, RULE_RECORD_SIZE);
  if (ru.end - ru.pos !== nrule * RULE_RECORD_SIZE) throw new PackError(`rule table: ${ru.end - ru.pos - nrule * RULE_RECORD_SIZE} bytes beyond ${nrule} records`);
  if (nrule !== sum((a) => a.ruleCount)) throw new PackError('rule table: count does not match the agent table');
  const [codeStart, codeEnd] = ranges.get(SECTION.BYTECODE)!;
  const code = body.subarray(codeStart, codeEnd);
  const rules: RuleModel[] = new Array(nrule);
  {
    const b = body;
    const nEffects = EFFECT_NAMES.length;
    const nOrigins = ORIGIN_NAMES.length;
    const nKinds = PATTERN_NAMES.length;
    let p = ru.pos;
    let ai = 0;
    let left = nag > 0 ? agents[0]!.ruleCount : 0;
    let codeTotal = 0;
    for (let i = 0; i < nrule; i++, p += RULE_RECORD_SIZE) {
      while (left === 0) left = agents[++ai]!.ruleCount;
      left--;
      const effect = b[p]!;
      if (effect >= nEffects) throw new PackError(`rule table: rule ${i} has a bad effect ${effect}`);
      const mb = b[p + 1]!;
      if (mb > 1) throw new PackError(`rule table: rule ${i} has a bad boolean ${mb}`);
      const mandatory = mb === 1;
      if (mandatory && effect !== EFFECT.deny) throw new PackError(`rule table: rule ${i} is mandatory but not deny`);
      const origin = b[p + 2]!;
      if (origin >= nOrigins) throw new PackError(`rule table: rule ${i} has a bad origin ${origin}`);
      const ph = b[p + 3]! | (b[p + 4]! << 8);
      const phase = ph === NONE16 ? -1 : ph;
      if (phase >= agents[ai]!.phaseCount) throw new PackError(`rule table: rule ${i} phase ${phase} out of range`);
      if ((origin === 1) !== (phase >= 0)) throw new PackError(`rule table: rule ${i} origin and phase disagree`);
      const kind = b[p + 5]!;
      if (kind >= nKinds) throw new PackError(`rule table: rule ${i} has a bad pattern kind ${kind}`);
      const ti = (b[p + 6]! | (b[p + 7]! << 8) | (b[p + 8]! << 16)) + b[p + 9]! * 0x1000000;
      if (ti >= nstr) throw new PackError(`rule table: string index ${ti} out of range`);
      used[ti] = 1;
      const text = strings[ti]!;
      checkPattern(kind, text, 'rule table');
      const codeLen = (b[p + 10]! | (b[p + 11]! << 8) | (b[p + 12]! << 16)) + b[p + 13]! * 0x1000000;
      const maxStack = b[p + 14]! | (b[p + 15]! << 8);
      if (maxStack > LIMITS.maxStack) throw new PackError(`rule table: rule ${i} stack depth ${maxStack} exceeds ${LIMITS.maxStack}`);
      if ((codeLen === 0) !== (maxStack === 0)) throw new PackError(`rule table: rule ${i} code length and stack depth disagree`);
      codeTotal += codeLen;
      if (codeTotal > code.length) throw new PackError(`rule table: rule ${i} code overruns the bytecode section`);
      const ri = (b[p + 16]! | (b[p + 17]! << 8) | (b[p + 18]! << 16)) + b[p + 19]! * 0x1000000;
      const ni = (b[p + 20]! | (b[p + 21]! << 8) | (b[p + 22]! << 16)) + b[p + 23]! * 0x1000000;
      let reason: string | null = null;
      let notify: string | null = null;
      if (ri !== NONE) {
        if (ri >= nstr) throw new PackError(`rule table: string index ${ri} out of range`);
        used[ri] = 1;
        reason = strings[ri]!;
      }
      if (ni !== NONE) {
        if (ni >= nstr) throw new PackError(`rule table: string index ${ni} out of range`);
        used[ni] = 1;
        notify = strings[ni]!;
      }
      rules[i] = { effect, mandatory, origin, phase, pattern: { kind, text }, codeLen, maxStack, reason, notify };
    }
    if (codeTotal !== code.length) throw new PackError('bytecode section is not tiled exactly by the rules');
  }

  // RULE_MAP: fixed 16-byte records (u32 line, u32 column, u32 text, u32 file).
  const lm = R(SECTION.RULE_MAP, 'rule map');
  const nloc = lm.count(LIMITS.maxRules, 16);
  if (nloc !== nrule) throw new PackError('rule map: count does not match the rule table');
  if (lm.end - lm.pos !== nloc * 16) throw new PackError(`rule map: ${lm.end - lm.pos - nloc * 16} bytes beyond ${nloc} records`);
  const ruleLocs: RuleLocModel[] = new Array(nloc);
  {
    const b = body;
    let p = lm.pos;
    for (let i = 0; i < nloc; i++, p += 16) {
      const ln = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
      const col = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16)) + b[p + 7]! * 0x1000000;
      const ti = (b[p + 8]! | (b[p + 9]! << 8) | (b[p + 10]! << 16)) + b[p + 11]! * 0x1000000;
      if (ln === 0) throw new PackError('rule map: line 0');
      if (col === 0) throw new PackError('rule map: column 0');
      const fi = (b[p + 12]! | (b[p + 13]! << 8) | (b[p + 14]! << 16)) + b[p + 15]! * 0x1000000;
      if (ti >= nstr) throw new PackError(`rule map: string index ${ti} out of range`);
      if (fi >= nstr) throw new PackError(`rule map: string index ${fi} out of range`);
      used[ti] = 1;
      used[fi] = 1;
      ruleLocs[i] = { line: ln, col, text: strings[ti]!, file: strings[fi]! };
    }
  }

  // PHASES
  const ph = R(SECTION.PHASES, 'phase table');
  const nph = ph.count(LIMITS.maxAgents * LIMITS.maxPhases, 23);
  if (nph !== sum((a) => a.phaseCount)) throw new PackError('phase table: count does not match the agent table');
  const phases: PhaseModel[] = new Array(nph);
  {
    let ai = 0;
    let left = nag > 0 ? agents[0]!.phaseCount : 0;
    for (let i = 0; i < nph; i++) {
      while (left === 0) left = agents[++ai]!.phaseCount;
      left--;
      const id = str(ph);
      const hasDur = ph.bool();
      let duration: number | null = null;
      if (hasDur) {
        duration = ph.f64();
        if (duration < 0) throw new PackError(`phase table: negative duration`);
      }
      const nx = ph.u16();
      const next = nx === NONE16 ? -1 : nx;
      if (next >= agents[ai]!.phaseCount) throw new PackError(`phase table: phase ${i} next ${next} out of range`);
      const ln = line(ph);
      const col = ph.u32();
      const pfile = str(ph);
      const nt = ph.count(LIMITS.maxPatternList, 5);
      const tools: PatternModel[] = new Array(nt);
      for (let k = 0; k < nt; k++) tools[k] = pattern(ph);
      phases[i] = { id, duration, next, tools, line: ln, col, file: pfile };
    }
  }
  ph.done();

  // RATE_LIMITS
  const rl = R(SECTION.RATE_LIMITS, 'rate-limit table');
  const nrl = rl.count(LIMITS.maxRules, 18);
  if (nrl !== sum((a) => a.rateLimitCount)) throw new PackError('rate-limit table: count does not match the agent table');
  const rateLimits: RateLimitModel[] = new Array(nrl);
  for (let i = 0; i < nrl; i++) {
    const pat = pattern(rl);
    const count = rl.u32();
    if (count === 0) throw new PackError('rate-limit table: count 0');
    const per = rl.enumOf(WINDOW_NAMES.length, 'window');
    const rline = line(rl);
    rateLimits[i] = { pattern: pat, count, per, line: rline, file: str(rl) };
  }
  rl.done();

  // BUDGETS
  const bu = R(SECTION.BUDGETS, 'budget table');
  const nbu = bu.count(LIMITS.maxRules, 15);
  if (nbu !== sum((a) => a.budgetCount)) throw new PackError('budget table: count does not match the agent table');
  const budgets: BudgetModel[] = new Array(nbu);
  for (let i = 0; i < nbu; i++) {
    const id = str(bu);
    const window = bu.enumOf(BUDGET_WINDOW_NAMES.length, 'budget window');
    const onExceed = bu.enumOf(ON_EXCEED_NAMES.length, 'on_exceed');
    const flags = bu.u8();
    if (flags > 15) throw new PackError(`budget table: bad flags ${flags}`);
    const nonNeg = (v: number): number => {
      if (v < 0) throw new PackError('budget table: negative amount');
      return v;
    };
    const max = flags & 1 ? nonNeg(bu.f64()) : null;
    const daily = flags & 2 ? nonNeg(bu.f64()) : null;
    const maxCalls = flags & 4 ? bu.u32() : null;
    let warnAt: number | null = null;
    if (flags & 8) {
      warnAt = bu.f64();
      if (warnAt < 0 || warnAt > 1) throw new PackError('budget table: warn_at outside 0..1');
    }
    const bline = line(bu);
    budgets[i] = { id, window, max, daily, maxCalls, warnAt, onExceed, line: bline, file: str(bu) };
  }
  bu.done();

  // REDACTIONS
  const rd = R(SECTION.REDACTIONS, 'redaction table');
  const nrd = rd.count(LIMITS.maxRules, 17);
  if (nrd !== sum((a) => a.redactionCount)) throw new PackError('redaction table: count does not match the agent table');
  const redactions: RedactionModel[] = new Array(nrd);
  for (let i = 0; i < nrd; i++) {
    const pat = pattern(rd);
    const ln = line(rd);
    const rfile = str(rd);
    const np = rd.count(LIMITS.maxPatternList, 4);
    const ps: string[] = new Array(np);
    for (let k = 0; k < np; k++) ps[k] = str(rd);
    redactions[i] = { pattern: pat, paths: ps, line: ln, file: rfile };
  }
  rd.done();

  // SESSION_LIMITS (optional): at most one record per agent, agents ascending.
  let sessionLimits: SessionLimitModel[] | undefined;
  if (ranges.has(SECTION.SESSION_LIMITS)) {
    const sl = R(SECTION.SESSION_LIMITS, 'session limits');
    const n = sl.count(nag, 14);
    if (n === 0) throw new PackError('session limits: empty section (the writer omits it)');
    sessionLimits = new Array(n);
    let prev = -1;
    for (let i = 0; i < n; i++) {
      const agent = sl.u32();
      if (agent >= nag || agent <= prev) throw new PackError(`session limits: agent index ${agent} out of range or order`);
      prev = agent;
      const flags = sl.enumOf(16, 'session limit flags');
      if (flags === 0) throw new PackError(`session limits: record ${i} sets no limit`);
      const pos = (v: number, what: string): number => {
        if (!(v > 0)) throw new PackError(`session limits: ${what} must be > 0`);
        return v;
      };
      const maxDuration = flags & 1 ? pos(sl.f64(), 'max_duration') : null;
      const idleTimeout = flags & 2 ? pos(sl.f64(), 'idle_timeout') : null;
      const maxCalls = flags & 4 ? pos(sl.u32(), 'max_calls') : null;
      const maxCost = flags & 8 ? sl.f64() : null;
      if (maxCost !== null && maxCost < 0) throw new PackError('session limits: max_cost must be ≥ 0');
      const ln = line(sl);
      sessionLimits[i] = { agent, maxDuration, idleTimeout, maxCalls, maxCost, line: ln, file: str(sl) };
    }
    sl.done();
  }

  // DELEGATIONS (optional): grants by delegator, delegators non-decreasing.
  let delegations: DelegationModel[] | undefined;
  if (ranges.has(SECTION.DELEGATIONS)) {
    const dr = R(SECTION.DELEGATIONS, 'delegations');
    const n = dr.count(LIMITS.maxRules, 18);
    if (n === 0) throw new PackError('delegations: empty section (the writer omits it)');
    delegations = new Array(n);
    let prev = 0;
    for (let i = 0; i < n; i++) {
      const agent = dr.u32();
      if (agent >= nag || agent < prev) throw new PackError(`delegations: agent index ${agent} out of range or order`);
      prev = agent;
      const k = dr.count(LIMITS.maxPatternList, 4);
      const targets: string[] = new Array(k);
      for (let t = 0; t < k; t++) targets[t] = str(dr);
      const flags = dr.enumOf(16, 'delegation flags');
      const scope = flags & 1 ? pattern(dr) : null;
      let bound: DelegationModel['bound'] = null;
      if (flags & 2) {
        const ns = dr.u16();
        if (ns === 0 || ns > LIMITS.maxPathSegs) throw new PackError(`delegations: bound path of record ${i} has ${ns} segments`);
        const path: string[] = new Array(ns);
        for (let q = 0; q < ns; q++) path[q] = str(dr);
        const op = dr.enumOf(CMP_NAMES.length, 'comparison');
        bound = { path, op, value: dr.f64() };
      }
      let ttl: number | null = null;
      if (flags & 4) {
        ttl = dr.f64();
        if (!(ttl > 0)) throw new PackError('delegations: ttl must be > 0');
      }
      const ceiling = dr.enumOf(CEILING_NAMES.length, 'ceiling');
      let maxDepth: number | null = null;
      if (flags & 8) {
        maxDepth = dr.u32();
        if (maxDepth < 1 || maxDepth > 1024) throw new PackError('delegations: max_depth out of range');
      }
      const ln = line(dr);
      delegations[i] = { agent, targets, scope, bound, ttl, ceiling, maxDepth, line: ln, file: str(dr) };
    }
    dr.done();
  }

  for (let i = 0; i < nstr; i++) if (!used[i]) throw new PackError(`string table: string ${i} is never referenced`);

  const reserved = new Map<number, Uint8Array>();
  for (const t of RESERVED_SECTIONS) {
    const r = ranges.get(t);
    if (r) reserved.set(t, body.subarray(r[0], r[1]));
  }
  // The kernel fence: parsed and checked here so a malformed OS profile refuses the whole pack.
  const agentIds = new Set(agents.map((a) => a.id));
  for (const f of readFenceSections(reserved).keys()) {
    if (!agentIds.has(f)) throw new PackError(`OS profile: fence for unknown agent \`${f}\``);
  }
  return {
    file,
    irVersion,
    producer,
    consts,
    paths,
    regexes,
    agents,
    rules,
    ruleLocs,
    code,
    phases,
    rateLimits,
    budgets,
    hostLists,
    redactions,
    ...(sessionLimits ? { sessionLimits } : {}),
    ...(delegations ? { delegations } : {}),
    reserved,
  };
}
