/**
 * The kernel fence in the pack and on the pipe to `fms-exec`.
 *
 * Pack sections (opaque to the body reader, signed with the body; all
 * integers little-endian, strings `u32 length | UTF-8`):
 * ```
 * LANDLOCK (0x42):        u32 n | n × { str agent | u8 profile (0 full, 1 minimal, 2 off) | u8 min_abi (1..7)
 *                                      | u8 isolation (0 none, 1 process) | u32 handled_fs | u32 handled_net | u32 scoped
 *                                      | u32 paths | paths × { u32 access | str path }
 *                                      | u32 ports | ports × { u32 access | u16 port } }
 * SECCOMP_X86_64 (0x40),
 * SECCOMP_AARCH64 (0x41): u32 n | n × { str agent | u32 insns | insns × struct sock_filter (8 bytes) }
 * ```
 * LANDLOCK lists every agent with a fence, ascending by id; each seccomp
 * section lists the same agents minus those whose profile is `off`.
 *
 * The exec profile (`fms-run exec` → `fms-exec` on an inherited pipe) is
 * documented in runtime/native/README.md and built by `encodeExecProfile`.
 */
import { ByteReader, ByteWriter, LIMITS, PackError, SECTION, decodeUtf8, encodeUtf8 } from '../pack/format';
import { bpfProblem, decodeBpf, encodeBpf, type BpfInsn } from './bpf';
import { FS_BY_ABI, MAX_ABI, NET_BY_ABI, SCOPE_BY_ABI } from './landlock-abi';
import type { Arch } from './syscalls';

export type FenceProfile = 'full' | 'minimal' | 'off';
const PROFILES: readonly FenceProfile[] = ['full', 'minimal', 'off'];
const ISOLATIONS = ['none', 'process'] as const;

/** Landlock part of an agent's fence; rights are the newest ABI's, the loader masks them. */
export interface LandlockSpec {
  minAbi: number;
  handledFs: number;
  handledNet: number;
  scoped: number;
  paths: Array<{ path: string; access: number }>;
  ports: Array<{ port: number; access: number }>;
}

/** One agent's kernel fence as the pack carries it. */
export interface AgentFence {
  agent: string;
  profile: FenceProfile;
  isolation: 'none' | 'process';
  landlock: LandlockSpec;
  /** Absent when the profile is `off`. */
  seccomp?: { x86_64: BpfInsn[]; aarch64: BpfInsn[] };
}

const SECCOMP_SECTION: { readonly [A in Arch]: number } = { x86_64: SECTION.SECCOMP_X86_64, aarch64: SECTION.SECCOMP_AARCH64 };
/** Most distinct paths one agent's fence may list (the checker reports more as FMS2097). */
export const MAX_FENCE_PATHS = 4096;
const MAX_FENCE_PORTS = 65535;
const MAX_PATH_BYTES = 4095;
const MAX_AGENTS = 1 << 16;

/** Serialises the fences into the pack's OS-profile sections (empty map when there are none). */
export function writeFenceSections(fences: readonly AgentFence[]): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  if (fences.length === 0) return out;
  const sorted = [...fences].sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
  const str = (w: ByteWriter, s: string) => {
    const b = encodeUtf8(s);
    w.u32(b.length).bytes(b);
  };
  const ll = new ByteWriter();
  ll.u32(sorted.length);
  for (const f of sorted) {
    str(ll, f.agent);
    ll.u8(PROFILES.indexOf(f.profile)).u8(f.landlock.minAbi).u8(ISOLATIONS.indexOf(f.isolation));
    ll.u32(f.landlock.handledFs).u32(f.landlock.handledNet).u32(f.landlock.scoped);
    ll.u32(f.landlock.paths.length);
    for (const p of f.landlock.paths) {
      ll.u32(p.access);
      str(ll, p.path);
    }
    ll.u32(f.landlock.ports.length);
    for (const p of f.landlock.ports) ll.u32(p.access).u16(p.port);
  }
  out.set(SECTION.LANDLOCK, ll.finish());
  for (const arch of ['x86_64', 'aarch64'] as const) {
    const w = new ByteWriter();
    const withBpf = sorted.filter((f) => f.seccomp);
    w.u32(withBpf.length);
    for (const f of withBpf) {
      str(w, f.agent);
      const insns = f.seccomp![arch];
      w.u32(insns.length).bytes(encodeBpf(insns));
    }
    out.set(SECCOMP_SECTION[arch], w.finish());
  }
  return out;
}

function readStr(r: ByteReader, what: string, max: number): string {
  const n = r.u32();
  if (n > max) throw new PackError(`${r.what}: ${what} of ${n} bytes is too long`);
  return decodeUtf8(r.bytes(n));
}

/**
 * Parses and checks the OS-profile sections of a verified body. Fails closed
 * with PackError on anything this toolchain would not have written: bad
 * counts, unknown profile bytes, rights outside the newest ABI, relative or
 * oversized paths, ports outside 1–65535, duplicate or unsorted agents,
 * programs that are not valid seccomp filters, or seccomp and Landlock
 * sections that disagree about which agents are fenced.
 */
export function readFenceSections(reserved: ReadonlyMap<number, Uint8Array>): Map<string, AgentFence> {
  const fences = new Map<string, AgentFence>();
  const ll = reserved.get(SECTION.LANDLOCK);
  const sx = reserved.get(SECTION.SECCOMP_X86_64);
  const sa = reserved.get(SECTION.SECCOMP_AARCH64);
  if (!ll) {
    if (sx || sa) throw new PackError('OS profile: seccomp section without a Landlock section');
    return fences;
  }
  if (!sx || !sa) throw new PackError('OS profile: Landlock section without both seccomp sections');
  const r = new ByteReader(ll, 0, ll.length, 'Landlock section');
  const n = r.count(MAX_AGENTS, 27);
  let prev: string | undefined;
  for (let i = 0; i < n; i++) {
    const agent = readStr(r, 'agent id', LIMITS.maxStringLength);
    if (prev !== undefined && !(prev < agent)) throw new PackError(`Landlock section: agents not unique and ascending at \`${agent}\``);
    prev = agent;
    const profile = PROFILES[r.enumOf(PROFILES.length, 'profile')]!;
    const minAbi = r.u8();
    if (minAbi < 1 || minAbi > MAX_ABI) throw new PackError(`Landlock section: min ABI ${minAbi} outside 1..${MAX_ABI}`);
    const isolation = ISOLATIONS[r.enumOf(ISOLATIONS.length, 'isolation')]!;
    const handledFs = r.u32();
    const handledNet = r.u32();
    const scoped = r.u32();
    if (handledFs & ~FS_BY_ABI[MAX_ABI]! || handledNet & ~NET_BY_ABI[MAX_ABI]! || scoped & ~SCOPE_BY_ABI[MAX_ABI]!) throw new PackError(`Landlock section: unknown rights for \`${agent}\``);
    const np = r.count(MAX_FENCE_PATHS, 9);
    const paths: LandlockSpec['paths'] = [];
    for (let k = 0; k < np; k++) {
      const access = r.u32();
      const path = readStr(r, 'path', MAX_PATH_BYTES);
      if (!path.startsWith('/') || path.includes('\0') || path.split('/').some((s) => s === '.' || s === '..')) throw new PackError(`Landlock section: path \`${path}\` is not absolute and normalised`);
      if (access === 0 || access & ~handledFs) throw new PackError(`Landlock section: rights of \`${path}\` are not handled`);
      paths.push({ path, access });
    }
    const nq = r.count(MAX_FENCE_PORTS, 6);
    const ports: LandlockSpec['ports'] = [];
    for (let k = 0; k < nq; k++) {
      const access = r.u32();
      const port = r.u16();
      if (port < 1) throw new PackError('Landlock section: port 0');
      if (access === 0 || access & ~handledNet) throw new PackError(`Landlock section: rights of port ${port} are not handled`);
      ports.push({ port, access });
    }
    fences.set(agent, { agent, profile, isolation, landlock: { minAbi, handledFs, handledNet, scoped, paths, ports } });
  }
  r.done();
  for (const arch of ['x86_64', 'aarch64'] as const) {
    const bytes = arch === 'x86_64' ? sx : sa;
    const s = new ByteReader(bytes, 0, bytes.length, `seccomp ${arch} section`);
    const m = s.count(MAX_AGENTS, 12);
    const seen = new Set<string>();
    for (let i = 0; i < m; i++) {
      const agent = readStr(s, 'agent id', LIMITS.maxStringLength);
      const f = fences.get(agent);
      if (!f || f.profile === 'off' || seen.has(agent)) throw new PackError(`seccomp ${arch} section: unexpected agent \`${agent}\``);
      seen.add(agent);
      const count = s.count(4096, 8);
      const insns = decodeBpf(s.bytes(count * 8));
      const problem = bpfProblem(insns);
      if (problem) throw new PackError(`seccomp ${arch} section: program of \`${agent}\`: ${problem}`);
      f.seccomp ??= { x86_64: [], aarch64: [] };
      f.seccomp[arch] = insns;
    }
    s.done();
    for (const f of fences.values()) if (f.profile !== 'off' && !seen.has(f.agent)) throw new PackError(`seccomp ${arch} section: no program for \`${f.agent}\``);
  }
  return fences;
}

/** Magic and version at the start of the exec profile on the pipe. */
export const EXEC_MAGIC = 'FMSX';
export const EXEC_VERSION = 1;
export const EXEC_FLAG = { SECCOMP: 1, LANDLOCK: 2 } as const;

/**
 * The bytes `fms-exec` reads from its profile pipe (layout in
 * runtime/native/README.md): the agent's Landlock spec and the seccomp
 * program for `arch`. Profile `off` sends neither (flags 0).
 */
export function encodeExecProfile(f: AgentFence, arch: Arch): Uint8Array {
  const w = new ByteWriter();
  for (const c of EXEC_MAGIC) w.u8(c.charCodeAt(0));
  const on = f.profile !== 'off';
  w.u32(EXEC_VERSION).u32(on ? EXEC_FLAG.SECCOMP | EXEC_FLAG.LANDLOCK : 0).u32(f.landlock.minAbi);
  const l = f.landlock;
  w.u32(on ? l.handledFs : 0).u32(on ? l.handledNet : 0).u32(on ? l.scoped : 0);
  const paths = on ? l.paths : [];
  w.u32(paths.length);
  for (const p of paths) {
    const b = encodeUtf8(p.path);
    w.u32(p.access).u32(b.length).bytes(b);
  }
  const ports = on ? l.ports : [];
  w.u32(ports.length);
  for (const p of ports) w.u32(p.access).u32(p.port);
  const insns = on && f.seccomp ? f.seccomp[arch] : [];
  w.u32(insns.length).bytes(encodeBpf(insns));
  return w.finish();
}
