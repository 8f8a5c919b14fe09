/**
 * FROZEN REFERENCE: the session-5 body reader (commit 69589f4), kept only so
 * that test/runtime/pack/load-equivalence.test.ts can check that the faster
 * reader gives the same model or the same refusal on every input it tries.
 * Do not edit; do not import outside tests.
 */
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
} from '../../../../runtime/src/pack/body-model';
import {
  BODY_HEADER_SIZE,
  BODY_MAGIC,
  BODY_VERSION,
  BUDGET_WINDOW_NAMES,
  ByteReader,
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
} from '../../../../runtime/src/pack/format';
import { readFenceSections } from '../../../../runtime/src/os/profile';

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
  const maxLength = LIMITS.maxStringLength;
  for (let i = 0; i < n; i++) {
    const end = ends[i]!;
    if (end < start) throw new PackError(`string table: offset of string ${i} goes backwards`);
    if (end - start > maxLength) throw new PackError(`string table: string ${i} is too long`);
    if (end > 0 && end < whole.length && (whole.charCodeAt(end - 1) & 0xfc00) === 0xd800) throw new PackError(`string table: string ${i} ends inside a character`);
    const s = whole.slice(start, end);
    if (i > 0 && !(prev < s)) throw new PackError(`string table: not sorted and unique at string ${i}`);
    strings[i] = s;
    prev = s;
    start = end;
  }
  return strings;
}

/**
 * What the section readers share while one body is parsed: the body, the
 * string table, and which strings something referenced (every string must be).
 * The readers are small top-level functions, not closures of one big one:
 * everything here runs once per process, mostly in V8's interpreter, where a
 * function's first call pays for compiling all of its text and a hot loop
 * tiers up the whole function it sits in (issue 15, fresh-process load).
 */
interface Ctx {
  readonly body: Uint8Array;
  readonly strings: string[];
  readonly nstr: number;
  readonly used: Uint8Array;
}

/** A string index (checked, marked used) read from `r`. */
function str(c: Ctx, r: ByteReader): string {
  const i = r.u32();
  if (i >= c.nstr) throw new PackError(`${r.what}: string index ${i} out of range`);
  c.used[i] = 1;
  return c.strings[i]!;
}

/** A string index or NONE (null). */
function optStr(c: Ctx, r: ByteReader): string | null {
  const i = r.u32();
  if (i === NONE) return null;
  if (i >= c.nstr) throw new PackError(`${r.what}: string index ${i} out of range`);
  c.used[i] = 1;
  return c.strings[i]!;
}

/** `n` string indices. */
function strList(c: Ctx, r: ByteReader, n: number): string[] {
  const out: string[] = new Array(n);
  for (let k = 0; k < n; k++) out[k] = str(c, r);
  return out;
}

/** A pattern: kind byte and string, checked against each other. */
function pattern(c: Ctx, r: ByteReader): PatternModel {
  const kind = r.enumOf(PATTERN_NAMES.length, 'pattern kind');
  const text = str(c, r);
  checkPattern(kind, text, r.what);
  return { kind, text };
}

/** A source line (never 0). */
function line(r: ByteReader): number {
  const v = r.u32();
  if (v === 0) throw new PackError(`${r.what}: line 0`);
  return v;
}

/** Header and section table: the byte range of each section present, by type. */
function readSectionTable(body: Uint8Array, checksums: boolean): Map<number, [number, number]> {
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
  return ranges;
}

/** CONSTS, read by offset (one pass, few calls). */
function readConsts(c: Ctx, cr: ByteReader): ConstModel[] {
  const nconst = cr.count(LIMITS.maxConsts, 1);
  const consts: ConstModel[] = new Array(nconst);
  const b = c.body;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const { strings, nstr, used } = c;
  const end = cr.end;
  let p = cr.pos;
  for (let i = 0; i < nconst; i++) {
    if (p >= end) throw new PackError(`constants: truncated at constant ${i}`);
    const tag = b[p++]!;
    // Literal labels (the values of CONST_TAG, pinned by a test): one jump
    // table in V8's interpreter instead of a property load per case.
    switch (tag) {
      case 3: { // CONST_TAG.num
        if (p + 8 > end) throw new PackError(`constants: truncated at constant ${i}`);
        const v = dv.getFloat64(p, true);
        // NaN, infinities and -0 are refused (the writer never emits them).
        if (!Number.isFinite(v) || (v === 0 && 1 / v < 0)) throw new PackError(`constants: non-canonical number at byte ${p}`);
        p += 8;
        consts[i] = { t: 'num', v };
        break;
      }
      case 4: { // CONST_TAG.str
        if (p + 4 > end) throw new PackError(`constants: truncated at constant ${i}`);
        const si = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
        p += 4;
        if (si >= nstr) throw new PackError(`constants: string index ${si} out of range`);
        used[si] = 1;
        consts[i] = { t: 'str', v: strings[si]! };
        break;
      }
      case 0: // CONST_TAG.nil
        consts[i] = NIL_CONST;
        break;
      case 1: // CONST_TAG.false
        consts[i] = FALSE_CONST;
        break;
      case 2: // CONST_TAG.true
        consts[i] = TRUE_CONST;
        break;
      case 5: { // CONST_TAG.list
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
  cr.done();
  return consts;
}

// nil and the booleans carry no data: one frozen object each, shared by every pack.
const NIL_CONST: ConstModel = Object.freeze({ t: 'nil' });
const FALSE_CONST: ConstModel = Object.freeze({ t: 'bool', v: false });
const TRUE_CONST: ConstModel = Object.freeze({ t: 'bool', v: true });

function readPaths(c: Ctx, pr: ByteReader): PathModel[] {
  const npath = pr.count(LIMITS.maxConsts, 3);
  const paths: PathModel[] = new Array(npath);
  for (let i = 0; i < npath; i++) {
    const root = pr.enumOf(ROOT_NAMES.length, 'variable root');
    const n = pr.u16();
    if (n > LIMITS.maxPathSegs) throw new PackError(`paths: path ${i} has too many segments`);
    paths[i] = { root, segs: strList(c, pr, n) };
  }
  pr.done();
  return paths;
}

function readRegexes(c: Ctx, rr: ByteReader): string[] {
  const regexes = strList(c, rr, rr.count(LIMITS.maxConsts, 4));
  rr.done();
  return regexes;
}

function readHostLists(c: Ctx, hr: ByteReader): HostListModel[] {
  const nhl = hr.count(LIMITS.maxAgents * 2, 17);
  const hostLists: HostListModel[] = new Array(nhl);
  for (let i = 0; i < nhl; i++) {
    const kind = hr.enumOf(2, 'host list kind');
    const ln = line(hr);
    const hfile = str(c, hr);
    const allow = strList(c, hr, hr.count(LIMITS.maxPatternList, 4));
    const deny = strList(c, hr, hr.count(LIMITS.maxPatternList, 4));
    hostLists[i] = { kind, allow, deny, line: ln, file: hfile };
  }
  hr.done();
  return hostLists;
}

/** An agent's egress or model host list reference: right kind, each list used by exactly one agent. */
function hostRef(ar: ByteReader, hostLists: HostListModel[], hlUsed: Uint8Array, kind: number): number {
  const i = ar.u32();
  if (i === NONE) return -1;
  if (i >= hostLists.length) throw new PackError(`agent table: host list index ${i} out of range`);
  if (hostLists[i]!.kind !== kind) throw new PackError(`agent table: host list ${i} has the wrong kind`);
  if (hlUsed[i]) throw new PackError(`agent table: host list ${i} referenced twice`);
  hlUsed[i] = 1;
  return i;
}

function readAgents(c: Ctx, ar: ByteReader, hostLists: HostListModel[]): AgentModel[] {
  const nag = ar.count(LIMITS.maxAgents, 50);
  const agents: AgentModel[] = new Array(nag);
  const ids = new Set<string>();
  const nhl = hostLists.length;
  const hlUsed = new Uint8Array(nhl);
  for (let i = 0; i < nag; i++) {
    const id = str(c, ar);
    if (ids.has(id)) throw new PackError(`agent table: duplicate agent \`${id}\``);
    ids.add(id);
    const defaultEffect = ar.enumOf(EFFECT_NAMES.length, 'default effect');
    const defaultDeclared = ar.bool();
    const model = optStr(c, ar);
    const ln = line(ar);
    const col = ar.u32();
    const afile = str(c, ar);
    const ruleCount = ar.u32();
    const phaseCount = ar.u32();
    const rateLimitCount = ar.u32();
    const budgetCount = ar.u32();
    const redactionCount = ar.u32();
    if (phaseCount > LIMITS.maxPhases) throw new PackError(`agent table: agent \`${id}\` has too many phases`);
    const egress = hostRef(ar, hostLists, hlUsed, HOST_LIST_KIND.egress);
    const modelPolicy = hostRef(ar, hostLists, hlUsed, HOST_LIST_KIND.model);
    agents[i] = { id, defaultEffect, defaultDeclared, model, line: ln, col, file: afile, ruleCount, phaseCount, rateLimitCount, budgetCount, redactionCount, egress, modelPolicy };
  }
  ar.done();
  for (let i = 0; i < nhl; i++) if (!hlUsed[i]) throw new PackError(`host list ${i} is not referenced by any agent`);
  return agents;
}

/**
 * RULES: fixed-size records (RULE_RECORD_SIZE), read by offset: this loop
 * runs once per rule, mostly before V8 has optimised anything, so it makes
 * no calls but the pattern check (once per distinct pattern). Rules with the
 * same pattern share one PatternModel object (read-only, like the whole model).
 */
function readRules(c: Ctx, ru: ByteReader, agents: AgentModel[], codeLength: number): RuleModel[] {
  const nrule = ru.count(LIMITS.maxRules, RULE_RECORD_SIZE);
  if (ru.end - ru.pos !== nrule * RULE_RECORD_SIZE) throw new PackError(`rule table: ${ru.end - ru.pos - nrule * RULE_RECORD_SIZE} bytes beyond ${nrule} records`);
  checkAgentCount(nrule, agents, 'ruleCount', 'rule table');
  const rules: RuleModel[] = new Array(nrule);
  const b = c.body;
  const { strings, nstr, used } = c;
  // Constants as locals: each module-level or `LIMITS.x` read in the loop is a load per rule.
  const nEffects = EFFECT_NAMES.length;
  const nOrigins = ORIGIN_NAMES.length;
  const nKinds = PATTERN_NAMES.length;
  const deny = EFFECT.deny;
  const maxStackLimit = LIMITS.maxStack;
  const none16 = NONE16;
  const size = RULE_RECORD_SIZE;
  let p = ru.pos;
  let ai = 0;
  let left = agents.length > 0 ? agents[0]!.ruleCount : 0;
  let phaseCount = agents.length > 0 ? agents[0]!.phaseCount : 0;
  let codeTotal = 0;
  const patterns: Array<PatternModel | undefined> = new Array(nstr);
  for (let i = 0; i < nrule; i++, p += size) {
    while (left === 0) {
      const a = agents[++ai]!;
      left = a.ruleCount;
      phaseCount = a.phaseCount;
    }
    left--;
    const effect = b[p]!;
    if (effect >= nEffects) throw new PackError(`rule table: rule ${i} has a bad effect ${effect}`);
    const mb = b[p + 1]!;
    if (mb > 1) throw new PackError(`rule table: rule ${i} has a bad boolean ${mb}`);
    const mandatory = mb === 1;
    if (mandatory && effect !== deny) throw new PackError(`rule table: rule ${i} is mandatory but not deny`);
    const origin = b[p + 2]!;
    if (origin >= nOrigins) throw new PackError(`rule table: rule ${i} has a bad origin ${origin}`);
    const ph = b[p + 3]! | (b[p + 4]! << 8);
    const phase = ph === none16 ? -1 : ph;
    if (phase >= phaseCount) throw new PackError(`rule table: rule ${i} phase ${phase} out of range`);
    if ((origin === 1) !== (phase >= 0)) throw new PackError(`rule table: rule ${i} origin and phase disagree`);
    const kind = b[p + 5]!;
    if (kind >= nKinds) throw new PackError(`rule table: rule ${i} has a bad pattern kind ${kind}`);
    const ti = (b[p + 6]! | (b[p + 7]! << 8) | (b[p + 8]! << 16)) + b[p + 9]! * 0x1000000;
    if (ti >= nstr) throw new PackError(`rule table: string index ${ti} out of range`);
    used[ti] = 1;
    // Rules share a pattern object per (text, kind): a stack names far fewer
    // distinct tools than it has rules, and this loop allocates per rule.
    let pattern = patterns[ti];
    if (pattern === undefined || pattern.kind !== kind) {
      const text = strings[ti]!;
      checkPattern(kind, text, 'rule table');
      pattern = { kind, text };
      if (patterns[ti] === undefined) patterns[ti] = pattern;
    }
    const codeLen = (b[p + 10]! | (b[p + 11]! << 8) | (b[p + 12]! << 16)) + b[p + 13]! * 0x1000000;
    const maxStack = b[p + 14]! | (b[p + 15]! << 8);
    if (maxStack > maxStackLimit) throw new PackError(`rule table: rule ${i} stack depth ${maxStack} exceeds ${maxStackLimit}`);
    if ((codeLen === 0) !== (maxStack === 0)) throw new PackError(`rule table: rule ${i} code length and stack depth disagree`);
    codeTotal += codeLen;
    if (codeTotal > codeLength) throw new PackError(`rule table: rule ${i} code overruns the bytecode section`);
    // reason and notify: a string index or NONE. Tested as low 24 bits and
    // high byte: assembling NONE (2^32 - 1) would allocate a heap number per
    // field per rule in the interpreter; every valid index is below 2^24.
    let reason: string | null = null;
    let notify: string | null = null;
    const rlo = b[p + 16]! | (b[p + 17]! << 8) | (b[p + 18]! << 16);
    const rhi = b[p + 19]!;
    if (rhi !== 0xff || rlo !== 0xffffff) {
      if (rhi !== 0 || rlo >= nstr) throw new PackError(`rule table: string index ${rlo + rhi * 0x1000000} out of range`);
      used[rlo] = 1;
      reason = strings[rlo]!;
    }
    const nlo = b[p + 20]! | (b[p + 21]! << 8) | (b[p + 22]! << 16);
    const nhi = b[p + 23]!;
    if (nhi !== 0xff || nlo !== 0xffffff) {
      if (nhi !== 0 || nlo >= nstr) throw new PackError(`rule table: string index ${nlo + nhi * 0x1000000} out of range`);
      used[nlo] = 1;
      notify = strings[nlo]!;
    }
    rules[i] = { effect, mandatory, origin, phase, pattern, codeLen, maxStack, reason, notify };
  }
  if (codeTotal !== codeLength) throw new PackError('bytecode section is not tiled exactly by the rules');
  return rules;
}

/** Size of one RULE_MAP record: u32 line, u32 column, u32 text, u32 file. */
const RULE_LOC_SIZE = 16;

/**
 * RULE_MAP: checks every record (line and column not 0, both strings in
 * range, marked used) without building anything; `ruleLocsAt` builds the
 * objects from the same, already checked, bytes.
 */
function checkRuleMap(c: Ctx, lm: ByteReader, nrule: number): number {
  const nloc = lm.count(LIMITS.maxRules, RULE_LOC_SIZE);
  if (nloc !== nrule) throw new PackError('rule map: count does not match the rule table');
  if (lm.end - lm.pos !== nloc * RULE_LOC_SIZE) throw new PackError(`rule map: ${lm.end - lm.pos - nloc * RULE_LOC_SIZE} bytes beyond ${nloc} records`);
  const b = c.body;
  const { nstr, used } = c;
  let p = lm.pos;
  for (let i = 0; i < nloc; i++, p += RULE_LOC_SIZE) {
    // Zero tests need no assembly: a u32 is 0 exactly when its four bytes are.
    if ((b[p]! | b[p + 1]! | b[p + 2]! | b[p + 3]!) === 0) throw new PackError('rule map: line 0');
    if ((b[p + 4]! | b[p + 5]! | b[p + 6]! | b[p + 7]!) === 0) throw new PackError('rule map: column 0');
    const ti = (b[p + 8]! | (b[p + 9]! << 8) | (b[p + 10]! << 16)) + b[p + 11]! * 0x1000000;
    const fi = (b[p + 12]! | (b[p + 13]! << 8) | (b[p + 14]! << 16)) + b[p + 15]! * 0x1000000;
    if (ti >= nstr) throw new PackError(`rule map: string index ${ti} out of range`);
    if (fi >= nstr) throw new PackError(`rule map: string index ${fi} out of range`);
    used[ti] = 1;
    used[fi] = 1;
  }
  return lm.pos;
}

/** The RuleLocModel objects of `n` records at `p` that `checkRuleMap` accepted. */
function ruleLocsAt(b: Uint8Array, p: number, n: number, strings: readonly string[]): RuleLocModel[] {
  const out: RuleLocModel[] = new Array(n);
  for (let i = 0; i < n; i++, p += RULE_LOC_SIZE) {
    const ln = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
    const col = (b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16)) + b[p + 7]! * 0x1000000;
    const ti = (b[p + 8]! | (b[p + 9]! << 8) | (b[p + 10]! << 16)) + b[p + 11]! * 0x1000000;
    const fi = (b[p + 12]! | (b[p + 13]! << 8) | (b[p + 14]! << 16)) + b[p + 15]! * 0x1000000;
    out[i] = { line: ln, col, text: strings[ti]!, file: strings[fi]! };
  }
  return out;
}

function readPhases(c: Ctx, ph: ByteReader, agents: AgentModel[]): PhaseModel[] {
  const nph = ph.count(LIMITS.maxAgents * LIMITS.maxPhases, 23);
  checkAgentCount(nph, agents, 'phaseCount', 'phase table');
  const phases: PhaseModel[] = new Array(nph);
  let ai = 0;
  let left = agents.length > 0 ? agents[0]!.phaseCount : 0;
  for (let i = 0; i < nph; i++) {
    while (left === 0) left = agents[++ai]!.phaseCount;
    left--;
    const id = str(c, ph);
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
    const pfile = str(c, ph);
    const nt = ph.count(LIMITS.maxPatternList, 5);
    const tools: PatternModel[] = new Array(nt);
    for (let k = 0; k < nt; k++) tools[k] = pattern(c, ph);
    phases[i] = { id, duration, next, tools, line: ln, col, file: pfile };
  }
  ph.done();
  return phases;
}

function readRateLimits(c: Ctx, rl: ByteReader, agents: AgentModel[]): RateLimitModel[] {
  const nrl = rl.count(LIMITS.maxRules, 18);
  checkAgentCount(nrl, agents, 'rateLimitCount', 'rate-limit table');
  const rateLimits: RateLimitModel[] = new Array(nrl);
  for (let i = 0; i < nrl; i++) {
    const pat = pattern(c, rl);
    const count = rl.u32();
    if (count === 0) throw new PackError('rate-limit table: count 0');
    const per = rl.enumOf(WINDOW_NAMES.length, 'window');
    const rline = line(rl);
    rateLimits[i] = { pattern: pat, count, per, line: rline, file: str(c, rl) };
  }
  rl.done();
  return rateLimits;
}

/** A budget amount (never negative). */
function budgetAmount(bu: ByteReader): number {
  const v = bu.f64();
  if (v < 0) throw new PackError('budget table: negative amount');
  return v;
}

function readBudgets(c: Ctx, bu: ByteReader, agents: AgentModel[]): BudgetModel[] {
  const nbu = bu.count(LIMITS.maxRules, 15);
  checkAgentCount(nbu, agents, 'budgetCount', 'budget table');
  const budgets: BudgetModel[] = new Array(nbu);
  for (let i = 0; i < nbu; i++) {
    const id = str(c, bu);
    const window = bu.enumOf(BUDGET_WINDOW_NAMES.length, 'budget window');
    const onExceed = bu.enumOf(ON_EXCEED_NAMES.length, 'on_exceed');
    const flags = bu.u8();
    if (flags > 15) throw new PackError(`budget table: bad flags ${flags}`);
    const max = flags & 1 ? budgetAmount(bu) : null;
    const daily = flags & 2 ? budgetAmount(bu) : null;
    const maxCalls = flags & 4 ? bu.u32() : null;
    let warnAt: number | null = null;
    if (flags & 8) {
      warnAt = bu.f64();
      if (warnAt < 0 || warnAt > 1) throw new PackError('budget table: warn_at outside 0..1');
    }
    const bline = line(bu);
    budgets[i] = { id, window, max, daily, maxCalls, warnAt, onExceed, line: bline, file: str(c, bu) };
  }
  bu.done();
  return budgets;
}

function readRedactions(c: Ctx, rd: ByteReader, agents: AgentModel[]): RedactionModel[] {
  const nrd = rd.count(LIMITS.maxRules, 17);
  checkAgentCount(nrd, agents, 'redactionCount', 'redaction table');
  const redactions: RedactionModel[] = new Array(nrd);
  for (let i = 0; i < nrd; i++) {
    const pat = pattern(c, rd);
    const ln = line(rd);
    const rfile = str(c, rd);
    const ps = strList(c, rd, rd.count(LIMITS.maxPatternList, 4));
    redactions[i] = { pattern: pat, paths: ps, line: ln, file: rfile };
  }
  rd.done();
  return redactions;
}

/** A session limit that must be > 0. */
function positive(v: number, what: string): number {
  if (!(v > 0)) throw new PackError(`session limits: ${what} must be > 0`);
  return v;
}

/** SESSION_LIMITS (optional): at most one record per agent, agents ascending. */
function readSessionLimits(c: Ctx, sl: ByteReader, nag: number): SessionLimitModel[] {
  const n = sl.count(nag, 14);
  if (n === 0) throw new PackError('session limits: empty section (the writer omits it)');
  const sessionLimits: SessionLimitModel[] = new Array(n);
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const agent = sl.u32();
    if (agent >= nag || agent <= prev) throw new PackError(`session limits: agent index ${agent} out of range or order`);
    prev = agent;
    const flags = sl.enumOf(16, 'session limit flags');
    if (flags === 0) throw new PackError(`session limits: record ${i} sets no limit`);
    const maxDuration = flags & 1 ? positive(sl.f64(), 'max_duration') : null;
    const idleTimeout = flags & 2 ? positive(sl.f64(), 'idle_timeout') : null;
    const maxCalls = flags & 4 ? positive(sl.u32(), 'max_calls') : null;
    const maxCost = flags & 8 ? sl.f64() : null;
    if (maxCost !== null && maxCost < 0) throw new PackError('session limits: max_cost must be ≥ 0');
    const ln = line(sl);
    sessionLimits[i] = { agent, maxDuration, idleTimeout, maxCalls, maxCost, line: ln, file: str(c, sl) };
  }
  sl.done();
  return sessionLimits;
}

/** DELEGATIONS (optional): grants by delegator, delegators non-decreasing. */
function readDelegations(c: Ctx, dr: ByteReader, nag: number): DelegationModel[] {
  const n = dr.count(LIMITS.maxRules, 18);
  if (n === 0) throw new PackError('delegations: empty section (the writer omits it)');
  const delegations: DelegationModel[] = new Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const agent = dr.u32();
    if (agent >= nag || agent < prev) throw new PackError(`delegations: agent index ${agent} out of range or order`);
    prev = agent;
    const targets = strList(c, dr, dr.count(LIMITS.maxPatternList, 4));
    const flags = dr.enumOf(16, 'delegation flags');
    const scope = flags & 1 ? pattern(c, dr) : null;
    let bound: DelegationModel['bound'] = null;
    if (flags & 2) {
      const ns = dr.u16();
      if (ns === 0 || ns > LIMITS.maxPathSegs) throw new PackError(`delegations: bound path of record ${i} has ${ns} segments`);
      const path = strList(c, dr, ns);
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
    delegations[i] = { agent, targets, scope, bound, ttl, ceiling, maxDepth, line: ln, file: str(c, dr) };
  }
  dr.done();
  return delegations;
}

/** The agent-table fields that count an agent's records in another section. */
type AgentCountField = 'ruleCount' | 'phaseCount' | 'rateLimitCount' | 'budgetCount' | 'redactionCount';

/** Refuses a section whose record count `n` is not the sum of the agents' `field`. */
function checkAgentCount(n: number, agents: AgentModel[], field: AgentCountField, what: string): void {
  let total = 0;
  for (let i = 0; i < agents.length; i++) total += agents[i]![field];
  if (n !== total) throw new PackError(`${what}: count does not match the agent table`);
}

function readBodyUnchecked(body: Uint8Array, checksums: boolean): BodyModel {
  const ranges = readSectionTable(body, checksums);
  const R = (type: number, what: string): ByteReader => {
    const [s, e] = ranges.get(type)!;
    return new ByteReader(body, s, e, what);
  };

  // STRINGS: offsets into one strict-UTF-8 blob; sorted by bytes and unique.
  const strings = readStrings(R(SECTION.STRINGS, 'string table'));
  const c: Ctx = { body, strings, nstr: strings.length, used: new Uint8Array(strings.length) };

  // META
  const mr = R(SECTION.META, 'meta');
  const file = str(c, mr);
  const irVersion = mr.u32();
  if (irVersion !== 1) throw new PackError(`unsupported IR version ${irVersion}`);
  const producer = str(c, mr);
  mr.done();

  const consts = readConsts(c, R(SECTION.CONSTS, 'constants'));
  const paths = readPaths(c, R(SECTION.PATHS, 'paths'));
  const regexes = readRegexes(c, R(SECTION.REGEXES, 'regexes'));
  // HOST_LISTS before agents, so that references can be checked.
  const hostLists = readHostLists(c, R(SECTION.HOST_LISTS, 'host lists'));
  const agents = readAgents(c, R(SECTION.AGENTS, 'agent table'), hostLists);
  const [codeStart, codeEnd] = ranges.get(SECTION.BYTECODE)!;
  const code = body.subarray(codeStart, codeEnd);
  const rules = readRules(c, R(SECTION.RULES, 'rule table'), agents, code.length);
  const nrule = rules.length;
  const locAt = checkRuleMap(c, R(SECTION.RULE_MAP, 'rule map'), nrule);
  // A table that is empty (count 0, nothing else) where the agents count none
  // needs no reader: the reader would accept it, and is not compiled for it.
  let nph = 0;
  let nrl = 0;
  let nbu = 0;
  let nrd = 0;
  for (const a of agents) {
    nph += a.phaseCount;
    nrl += a.rateLimitCount;
    nbu += a.budgetCount;
    nrd += a.redactionCount;
  }
  const empty = (type: number): boolean => {
    const [s, e] = ranges.get(type)!;
    return e - s === 4 && (body[s]! | body[s + 1]! | body[s + 2]! | body[s + 3]!) === 0;
  };
  const phases = nph === 0 && empty(SECTION.PHASES) ? [] : readPhases(c, R(SECTION.PHASES, 'phase table'), agents);
  const rateLimits = nrl === 0 && empty(SECTION.RATE_LIMITS) ? [] : readRateLimits(c, R(SECTION.RATE_LIMITS, 'rate-limit table'), agents);
  const budgets = nbu === 0 && empty(SECTION.BUDGETS) ? [] : readBudgets(c, R(SECTION.BUDGETS, 'budget table'), agents);
  const redactions = nrd === 0 && empty(SECTION.REDACTIONS) ? [] : readRedactions(c, R(SECTION.REDACTIONS, 'redaction table'), agents);
  const sessionLimits = ranges.has(SECTION.SESSION_LIMITS) ? readSessionLimits(c, R(SECTION.SESSION_LIMITS, 'session limits'), agents.length) : undefined;
  const delegations = ranges.has(SECTION.DELEGATIONS) ? readDelegations(c, R(SECTION.DELEGATIONS, 'delegations'), agents.length) : undefined;

  // The first string nothing referenced (a native scan, not a loop in the interpreter).
  const unused = c.used.indexOf(0);
  if (unused >= 0) throw new PackError(`string table: string ${unused} is never referenced`);

  const reserved = new Map<number, Uint8Array>();
  for (const t of RESERVED_SECTIONS) {
    const r = ranges.get(t);
    if (r) reserved.set(t, body.subarray(r[0], r[1]));
  }
  // The kernel fence: parsed and checked here so a malformed OS profile refuses
  // the whole pack (a body without OS-profile sections has no fence to read).
  if (reserved.size > 0) {
    const agentIds = new Set(agents.map((a) => a.id));
    for (const f of readFenceSections(reserved).keys()) {
      if (!agentIds.has(f)) throw new PackError(`OS profile: fence for unknown agent \`${f}\``);
    }
  }
  // ruleLocs: every record was checked above; the objects are built on first
  // read (most loads never read them: only rule refs, explain and inspect do).
  let ruleLocs: RuleLocModel[] | null = null;
  return {
    file,
    irVersion,
    producer,
    consts,
    paths,
    regexes,
    agents,
    rules,
    get ruleLocs(): RuleLocModel[] {
      return (ruleLocs ??= ruleLocsAt(body, locAt, nrule, strings));
    },
    set ruleLocs(v: RuleLocModel[]) {
      ruleLocs = v;
    },
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
