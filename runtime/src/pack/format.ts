/**
 * THE pack body format: section type ids, opcodes, enums, limits and the small
 * bounded binary reader/writer both the compiler's emitter and the runtime's
 * loader use. Nothing else in the project may define a byte of the layout.
 *
 * Body layout (all integers little-endian):
 * ```
 * "FMSB" | u16 BODY_VERSION | u16 section count N
 * N × { u16 type | u16 flags (0) | u32 offset | u32 length | u32 crc32 }
 * section bytes, in ascending type order, contiguous, no gaps, no trailing bytes
 * ```
 * Strings are stored once, in the STRINGS section, sorted and unique in UTF-16
 * code-unit order; every other section refers to them by u32 index (`NONE` =
 * absent). STRINGS is `u32 n | n × u32 end | UTF-8 bytes`: the bytes are the
 * concatenation of all strings, and string i is the decoded text's code units
 * [end(i-1), end(i)), so the loader decodes the table in one call.
 * Optional f64 fields are guarded by a presence bit, never by NaN.
 */

import * as zlib from 'node:zlib';

/** Magic at the start of every body. */
export const BODY_MAGIC = [0x46, 0x4d, 0x53, 0x42] as const; // "FMSB"
/** Version of the body layout; bumped on any incompatible change. */
export const BODY_VERSION = 2;
/** Bytes of the fixed header before the section table. */
export const BODY_HEADER_SIZE = 8;
/** Bytes of one section table entry. */
export const SECTION_ENTRY_SIZE = 16;
/** u32 index meaning "absent". */
export const NONE = 0xffffffff;
/** u16 index meaning "absent" (phase references). */
export const NONE16 = 0xffff;

/** Section type ids. Types 0x40.. are reserved for the OS profiles (sandbox issue). */
export const SECTION = {
  META: 0x01,
  STRINGS: 0x02,
  CONSTS: 0x03,
  PATHS: 0x04,
  REGEXES: 0x05,
  AGENTS: 0x06,
  RULES: 0x07,
  BYTECODE: 0x08,
  RULE_MAP: 0x09,
  PHASES: 0x0a,
  RATE_LIMITS: 0x0b,
  BUDGETS: 0x0c,
  HOST_LISTS: 0x0d,
  REDACTIONS: 0x0e,
  /**
   * Optional (written only when an agent has one): `session {}` limits.
   * `u32 n | n × { u32 agent | u8 flags (1 max_duration, 2 idle_timeout,
   * 4 max_calls, 8 max_cost) | f64 max_duration? | f64 idle_timeout? |
   * u32 max_calls? | f64 max_cost? | u32 line | u32 file }`, agents strictly ascending.
   */
  SESSION_LIMITS: 0x0f,
  /**
   * Optional (written only when an agent delegates): `delegate {}` grants.
   * `u32 n | n × { u32 delegator agent | u32 k | k × u32 target | u8 flags
   * (1 scope, 2 bound, 4 ttl, 8 max_depth) | pattern? | bound? (u16 segs |
   * segs × u32 | u8 CMP op | f64 value) | f64 ttl? | u8 ceiling | u32 max_depth? |
   * u32 line | u32 file }`, delegators non-decreasing; k = 0 means every agent.
   */
  DELEGATIONS: 0x10,
  /** Reserved: seccomp-BPF program for x86_64 (not emitted yet). */
  SECCOMP_X86_64: 0x40,
  /** Reserved: seccomp-BPF program for aarch64 (not emitted yet). */
  SECCOMP_AARCH64: 0x41,
  /** Reserved: Landlock ruleset spec (not emitted yet). */
  LANDLOCK: 0x42,
} as const;

/**
 * One record of the RULES section (after its u32 count), 24 bytes:
 * u8 effect | u8 mandatory | u8 origin | u16 phase (NONE16) | u8 pattern kind |
 * u32 pattern text | u32 code length | u16 max stack | u32 reason (NONE) | u32 notify (NONE).
 * Fixed size, so the loader checks the section length once and reads fields by offset.
 */
export const RULE_RECORD_SIZE = 24;

/** Sections every body must carry. */
export const REQUIRED_SECTIONS: readonly number[] = [
  SECTION.META,
  SECTION.STRINGS,
  SECTION.CONSTS,
  SECTION.PATHS,
  SECTION.REGEXES,
  SECTION.AGENTS,
  SECTION.RULES,
  SECTION.BYTECODE,
  SECTION.RULE_MAP,
  SECTION.PHASES,
  SECTION.RATE_LIMITS,
  SECTION.BUDGETS,
  SECTION.HOST_LISTS,
  SECTION.REDACTIONS,
];
/**
 * Sections a body may carry or omit (added after BODY_VERSION 2 without a
 * version bump: a pack without them loads everywhere; a pack with them is
 * refused by an older runtime, which could not enforce them).
 */
export const OPTIONAL_SECTIONS: readonly number[] = [SECTION.SESSION_LIMITS, SECTION.DELEGATIONS];
/** Delegation ceilings (DELEGATIONS): the most a delegated call may get. */
export const CEILING_NAMES = ['permit', 'defer', 'deny', 'inherited'] as const;
/** OS-profile sections: accepted as opaque bytes, interpreted by the sandbox code. */
export const RESERVED_SECTIONS: readonly number[] = [SECTION.SECCOMP_X86_64, SECTION.SECCOMP_AARCH64, SECTION.LANDLOCK];

/** Hard limits checked by the loader before anything is allocated. */
export const LIMITS = {
  maxBody: 256 * 1024 * 1024,
  maxSections: 32,
  maxStrings: 1 << 22,
  maxStringLength: 1 << 20,
  maxAgents: 1 << 16,
  maxRules: 1 << 22,
  maxConsts: 1 << 22,
  maxListItems: 1 << 16,
  maxPathSegs: 64,
  /** Operand-stack depth of one condition. */
  maxStack: 64,
  maxCallArgs: 16,
  maxPhases: 1024,
  maxPatternList: 1 << 16,
} as const;

/** Effects, in the byte encoding. */
export const EFFECT = { permit: 0, deny: 1, defer: 2 } as const;
export const EFFECT_NAMES = ['permit', 'deny', 'defer'] as const;
export type EffectName = (typeof EFFECT_NAMES)[number];

/** Rule origins. */
export const ORIGIN_NAMES = ['rules', 'phase', 'flat'] as const;

/** Tool pattern kinds. */
export const PATTERN = { any: 0, exact: 1, glob: 2, prefix: 3 } as const;
export const PATTERN_NAMES = ['any', 'exact', 'glob', 'prefix'] as const;

/** Variable roots readable by LOAD. `port` is internal (network selector `port`). */
export const ROOT_NAMES = [
  'args',
  'principal',
  'time',
  'session',
  'tool',
  'agent',
  'model',
  'host',
  'method',
  'path',
  'query',
  'headers',
  'recipients',
  'selector',
  'port',
] as const;
export type RootName = (typeof ROOT_NAMES)[number];
export const ROOT: { readonly [K in RootName]: number } = Object.freeze(Object.assign(Object.create(null), Object.fromEntries(ROOT_NAMES.map((n, i) => [n, i])))) as {
  [K in RootName]: number;
};

/** Comparison operators (CMP operand). */
export const CMP_NAMES = ['==', '!=', '<', '<=', '>', '>='] as const;
/** String operators (STROP operand). */
export const STROP_NAMES = ['contains', 'startsWith', 'endsWith'] as const;
/** GLOB operand kinds used by network selectors. */
export const GLOB = { host: 0, path: 1, value: 2, method: 3 } as const;
export const GLOB_NAMES = ['host', 'path', 'value', 'method'] as const;

/**
 * Built-in functions (CALL operand) with arity [min, max], whether they yield a
 * bool, and whether they read the session history.
 */
export const BUILTINS = [
  { name: 'history_contains_within', min: 2, max: 2, bool: true, history: true },
  { name: 'history_sequence', min: 1, max: 16, bool: true, history: true },
  { name: 'history_tool_count', min: 1, max: 1, bool: false, history: true },
  { name: 'deny_count_within', min: 1, max: 1, bool: false, history: true },
  { name: 'args_array_len', min: 1, max: 1, bool: false, history: false },
  { name: 'args_array_contains', min: 2, max: 2, bool: true, history: false },
  /** Never used with CALL: args_array_any_match compiles to ANY_MATCH (its regex is compiled at load). */
  { name: 'args_array_any_match', min: 2, max: 2, bool: true, history: false },
  { name: 'purpose', min: 1, max: 1, bool: true, history: false },
  { name: 'len', min: 1, max: 1, bool: false, history: false },
  { name: 'session_sum', min: 2, max: 3, bool: false, history: true },
  { name: 'session_count', min: 1, max: 2, bool: false, history: true },
] as const;
/** Built-in id by name (null prototype: `toString` is not a built-in). */
export const BUILTIN_ID: Readonly<Record<string, number>> = Object.freeze(Object.assign(Object.create(null) as Record<string, number>, Object.fromEntries(BUILTINS.map((b, i) => [b.name, i]))));
/** Index of args_array_any_match, which CALL must never name. */
export const BUILTIN_ANY_MATCH = 6;

/** Constant tags in the CONSTS section. */
export const CONST_TAG = { nil: 0, false: 1, true: 2, num: 3, str: 4, list: 5 } as const;

/** Time windows of rate limits. */
export const WINDOW_NAMES = ['second', 'minute', 'hour', 'day'] as const;
export const WINDOW_SECONDS = [1, 60, 3600, 86400] as const;
/** Budget windows. */
export const BUDGET_WINDOW_NAMES = ['session', 'daily'] as const;
export const ON_EXCEED_NAMES = ['deny', 'defer', 'audit'] as const;
/** Host-list kinds. */
export const HOST_LIST_KIND = { egress: 0, model: 1 } as const;

/**
 * Opcodes. Each is followed by fixed-width operands (see `OPERANDS`).
 * Stack effects (V = any value or error, B = true/false/error):
 * - PUSH_CONST c      → V
 * - LOAD p            → V (error when the field is missing)
 * - CMP op            V V → B
 * - IN neg            V V → B
 * - MATCH re          V → B
 * - STROP op          V V → B
 * - CALL fn argc      V×argc → V or B
 * - ANY_MATCH re      V → B (args_array_any_match: the array path, regex operand)
 * - NOT               B → B
 * - TO_BOOL           V → B (a bool stays, anything else is error)
 * - MAKE_LIST n       V×n → V
 * - GLOB kind c       V → B (network selector; c is a string constant)
 * - AND_JMP t         B → (B kept and jump when not true; popped otherwise)
 * - OR_JMP t          B → (B kept and jump when not false; popped otherwise)
 * - RET               B → (end; the stack must hold exactly that B)
 * - AND               B B → B (Kleene `and`, both operands evaluated: a type error absorbs)
 * - OR                B B → B (Kleene `or`, both operands evaluated: a type error absorbs)
 * B is true, false, unknown (a missing field) or a type error (DESIGN §3
 * "Totality"). The compiler emits AND/OR, never AND_JMP/OR_JMP: a jump would
 * skip an operand whose type error must deny whatever the operand order.
 * Jump targets are byte offsets from the start of the rule's function,
 * strictly forward, on an instruction boundary.
 */
export const OP = {
  PUSH_CONST: 0x01,
  LOAD: 0x02,
  CMP: 0x03,
  IN: 0x04,
  MATCH: 0x05,
  STROP: 0x06,
  CALL: 0x07,
  ANY_MATCH: 0x08,
  NOT: 0x09,
  TO_BOOL: 0x0a,
  MAKE_LIST: 0x0b,
  GLOB: 0x0c,
  AND_JMP: 0x0d,
  OR_JMP: 0x0e,
  RET: 0x0f,
  AND: 0x10,
  OR: 0x11,
} as const;

/** Operand widths in bytes, per opcode (index = opcode). `undefined` = invalid opcode. */
export const OPERANDS: ReadonlyArray<readonly number[] | undefined> = (() => {
  const t: Array<readonly number[] | undefined> = new Array(256).fill(undefined);
  t[OP.PUSH_CONST] = [4];
  t[OP.LOAD] = [4];
  t[OP.CMP] = [1];
  t[OP.IN] = [1];
  t[OP.MATCH] = [4];
  t[OP.STROP] = [1];
  t[OP.CALL] = [1, 1];
  t[OP.ANY_MATCH] = [4];
  t[OP.NOT] = [];
  t[OP.TO_BOOL] = [];
  t[OP.MAKE_LIST] = [2];
  t[OP.GLOB] = [1, 4];
  t[OP.AND_JMP] = [4];
  t[OP.OR_JMP] = [4];
  t[OP.RET] = [];
  t[OP.AND] = [];
  t[OP.OR] = [];
  return t;
})();
export const OP_NAMES: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

/** A refusal to load a pack body: one line saying why. */
export class PackError extends Error {
  override name = 'PackError';
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/**
 * CRC-32 (IEEE) of a byte range. A redundancy check on top of the structural
 * checks, not a security measure. Uses zlib's native crc32 where Node has it
 * (20.15+); the table version gives the same value and stays as the fallback.
 */
export function crc32(b: Uint8Array, start = 0, end = b.length): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(b.subarray(start, end)) >>> 0;
  return crc32Table(b, start, end);
}

/** The portable CRC-32 (tests compare it with the native one). */
export function crc32Table(b: Uint8Array, start = 0, end = b.length): number {
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = CRC_TABLE[(c ^ b[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const utf8 = new TextEncoder();
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Encodes a string as UTF-8. */
export function encodeUtf8(s: string): Uint8Array {
  return utf8.encode(s);
}

/** Decodes strict UTF-8 (throws PackError on malformed input). */
export function decodeUtf8(b: Uint8Array): string {
  try {
    return utf8Strict.decode(b);
  } catch {
    throw new PackError('string table holds malformed UTF-8');
  }
}

/** Growable little-endian byte writer. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.view = new DataView(nb.buffer);
  }
  u8(v: number): this {
    this.ensure(1);
    this.buf[this.len++] = v & 0xff;
    return this;
  }
  u16(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`u16 out of range: ${v}`);
    this.ensure(2);
    this.view.setUint16(this.len, v, true);
    this.len += 2;
    return this;
  }
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    this.ensure(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
    return this;
  }
  f64(v: number): this {
    if (!Number.isFinite(v)) throw new RangeError(`f64 must be finite: ${v}`);
    this.ensure(8);
    this.view.setFloat64(this.len, v === 0 ? 0 : v, true); // canonical +0
    this.len += 8;
    return this;
  }
  bytes(b: Uint8Array): this {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }
  /** Overwrites a u32 already written at `at`. */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/**
 * Bounded little-endian reader over one section: every read is checked against
 * the section end and throws PackError (never RangeError) when it would overrun.
 */
export class ByteReader {
  private readonly view: DataView;
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    readonly start: number,
    readonly end: number,
    readonly what: string,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }
  private need(n: number): void {
    if (this.pos + n > this.end) throw new PackError(`${this.what}: truncated at byte ${this.pos}`);
  }
  // The accessors check bounds inline and assemble integers from bytes: at load
  // time this code mostly runs unoptimised, where every extra call counts.
  u8(): number {
    const p = this.pos;
    if (p >= this.end) this.truncated();
    this.pos = p + 1;
    return this.buf[p]!;
  }
  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) this.truncated();
    const b = this.buf;
    this.pos = p + 2;
    return b[p]! | (b[p + 1]! << 8);
  }
  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) this.truncated();
    const b = this.buf;
    this.pos = p + 4;
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16)) + b[p + 3]! * 0x1000000;
  }
  private truncated(): never {
    throw new PackError(`${this.what}: truncated at byte ${this.pos}`);
  }
  /** A finite f64; NaN, infinities and -0 are refused (the writer never emits them). */
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    if (!Number.isFinite(v) || Object.is(v, -0)) throw new PackError(`${this.what}: non-canonical number at byte ${this.pos}`);
    this.pos += 8;
    return v;
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** A count, checked against a limit and against the bytes left (each item needs at least `minItemBytes`). */
  count(limit: number, minItemBytes: number): number {
    const n = this.u32();
    if (n > limit) throw new PackError(`${this.what}: count ${n} exceeds limit ${limit}`);
    if (n * minItemBytes > this.end - this.pos) throw new PackError(`${this.what}: count ${n} does not fit the section`);
    return n;
  }
  /** A bool byte (0 or 1 only). */
  bool(): boolean {
    const p = this.pos;
    if (p >= this.end) this.truncated();
    this.pos = p + 1;
    const v = this.buf[p]!;
    if (v > 1) throw new PackError(`${this.what}: bad boolean ${v}`);
    return v === 1;
  }
  /** An enum byte below `n`. */
  enumOf(n: number, name: string): number {
    const p = this.pos;
    if (p >= this.end) this.truncated();
    this.pos = p + 1;
    const v = this.buf[p]!;
    if (v >= n) throw new PackError(`${this.what}: bad ${name} ${v}`);
    return v;
  }
  /** Requires that the whole section was consumed. */
  done(): void {
    if (this.pos !== this.end) throw new PackError(`${this.what}: ${this.end - this.pos} trailing bytes`);
  }
}
