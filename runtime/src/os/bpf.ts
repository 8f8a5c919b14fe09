/**
 * Classic BPF as seccomp uses it: the instruction shape, the opcodes the
 * emitter produces, seccomp return values, and a disassembler for
 * `fms-run exec --dry-run` and `fmsc inspect`. Offsets into `struct
 * seccomp_data`: nr @0, arch @4, instruction_pointer @8, args[i] @16 + 8·i
 * (the low 32 bits of an argument on little-endian x86_64 and aarch64).
 */
import { syscallNames, type Arch } from './syscalls';

/** One `struct sock_filter`: u16 code, u8 jt, u8 jf, u32 k (8 bytes, little-endian). */
export interface BpfInsn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** The opcodes the emitter uses (and the only ones the profile reader accepts). */
export const OP = {
  LD_W_ABS: 0x20,
  ALU_AND_K: 0x54,
  JA: 0x05,
  JEQ_K: 0x15,
  JGT_K: 0x25,
  JGE_K: 0x35,
  JSET_K: 0x45,
  RET_K: 0x06,
} as const;

/** Kernel limit on instructions in one filter (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;

/** Seccomp return values. */
export const RET = {
  KILL_PROCESS: 0x80000000,
  ALLOW: 0x7fff0000,
  ERRNO: 0x00050000,
} as const;

/** Errno values used in filters (the same on x86_64 and aarch64). */
export const ERRNO = { EPERM: 1, ENOSYS: 38, EAFNOSUPPORT: 97 } as const;

/** Offsets into struct seccomp_data. */
export const SECCOMP_DATA = { nr: 0, arch: 4, arg: (i: number): number => 16 + 8 * i } as const;

/** Encodes instructions as the kernel's `struct sock_filter` array. */
export function encodeBpf(insns: readonly BpfInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach((x, i) => {
    v.setUint16(i * 8, x.code, true);
    v.setUint8(i * 8 + 2, x.jt);
    v.setUint8(i * 8 + 3, x.jf);
    v.setUint32(i * 8 + 4, x.k >>> 0, true);
  });
  return out;
}

/** Decodes a `struct sock_filter` array (length must be a multiple of 8). */
export function decodeBpf(bytes: Uint8Array): BpfInsn[] {
  if (bytes.length % 8 !== 0) throw new RangeError('BPF program length is not a multiple of 8');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: BpfInsn[] = [];
  for (let i = 0; i < bytes.length; i += 8) out.push({ code: v.getUint16(i, true), jt: v.getUint8(i + 2), jf: v.getUint8(i + 3), k: v.getUint32(i + 4, true) });
  return out;
}

/**
 * Why a program is not one this toolchain would emit, or undefined: only the
 * opcodes in OP, every jump lands inside the program and forward, the last
 * instruction returns, at most BPF_MAXINSNS instructions, loads are aligned
 * offsets inside seccomp_data. The kernel checks again; this keeps a tampered
 * pack from reaching it at all.
 */
export function bpfProblem(insns: readonly BpfInsn[]): string | undefined {
  if (insns.length === 0) return 'empty program';
  if (insns.length > BPF_MAXINSNS) return `${insns.length} instructions exceed ${BPF_MAXINSNS}`;
  const known = new Set<number>(Object.values(OP));
  for (let i = 0; i < insns.length; i++) {
    const x = insns[i]!;
    if (!known.has(x.code)) return `instruction ${i}: opcode 0x${x.code.toString(16)} not allowed`;
    const left = insns.length - i - 1;
    if (x.code === OP.LD_W_ABS && (x.k > 60 || x.k % 4 !== 0)) return `instruction ${i}: load outside seccomp_data`;
    if (x.code === OP.JA && x.k >= left) return `instruction ${i}: jump out of the program`;
    if (x.code !== OP.JA && (x.code & 0x07) === 0x05 && (x.jt >= left || x.jf >= left)) return `instruction ${i}: jump out of the program`;
    if (x.code !== OP.JA && (x.code & 0x07) !== 0x05 && (x.jt !== 0 || x.jf !== 0)) return `instruction ${i}: stray jump offsets`;
  }
  if (insns[insns.length - 1]!.code !== OP.RET_K) return 'program does not end with a return';
  return undefined;
}

/** A return value as people read it. */
export function describeRet(k: number): string {
  const u = k >>> 0;
  if (u === RET.KILL_PROCESS) return 'KILL_PROCESS';
  if (u === RET.ALLOW) return 'ALLOW';
  if ((u & 0xffff0000) === RET.ERRNO) {
    const e = u & 0xffff;
    const name = Object.entries(ERRNO).find(([, v]) => v === e)?.[0];
    return `ERRNO(${name ?? e})`;
  }
  return `0x${u.toString(16)}`;
}

/** A readable listing, one instruction a line, syscall names beside numbers compared with `nr`. */
export function disassemble(insns: readonly BpfInsn[], arch: Arch): string {
  const names = syscallNames(arch);
  const lines: string[] = [];
  let loaded = '';
  const hex = (k: number) => `0x${(k >>> 0).toString(16)}`;
  insns.forEach((x, i) => {
    const at = String(i).padStart(4, '0');
    const to = (off: number) => String(i + 1 + off).padStart(4, '0');
    const val = (k: number) => {
      if (loaded !== 'nr') return hex(k);
      const n = names.get(k);
      return n ? `${k} (${n})` : String(k >>> 0);
    };
    let text: string;
    switch (x.code) {
      case OP.LD_W_ABS:
        loaded = x.k === 0 ? 'nr' : x.k === 4 ? 'arch' : x.k >= 16 ? `arg${(x.k - 16) >> 3}${x.k % 8 ? '.hi' : ''}` : `data[${x.k}]`;
        text = `ld   ${loaded}`;
        break;
      case OP.ALU_AND_K:
        text = `and  ${hex(x.k)}`;
        loaded = `${loaded}&`;
        break;
      case OP.JA:
        text = `ja   ${String(i + 1 + x.k).padStart(4, '0')}`;
        break;
      case OP.JEQ_K:
      case OP.JGT_K:
      case OP.JGE_K:
      case OP.JSET_K: {
        const op = x.code === OP.JEQ_K ? 'jeq ' : x.code === OP.JGT_K ? 'jgt ' : x.code === OP.JGE_K ? 'jge ' : 'jset';
        text = `${op} ${val(x.k)} ? ${to(x.jt)} : ${to(x.jf)}`;
        break;
      }
      case OP.RET_K:
        text = `ret  ${describeRet(x.k)}`;
        break;
      default:
        text = `.insn code=${hex(x.code)} jt=${x.jt} jf=${x.jf} k=${hex(x.k)}`;
    }
    lines.push(`${at}  ${text}`);
  });
  return lines.join('\n');
}
