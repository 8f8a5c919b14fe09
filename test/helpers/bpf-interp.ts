/**
 * A classic-BPF interpreter for seccomp filters, written independently of the
 * emitter (it implements the kernel's semantics for every classic opcode a
 * seccomp filter may use, not just the ones we emit) so a test can run a
 * program over `struct seccomp_data` inputs.
 */
export interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

export interface SeccompData {
  nr: number;
  arch: number;
  ip?: bigint;
  args?: bigint[];
}

function word(d: SeccompData, off: number): number {
  if (off === 0) return d.nr >>> 0;
  if (off === 4) return d.arch >>> 0;
  const u64 = (v: bigint, hi: boolean) => Number(hi ? (v >> 32n) & 0xffffffffn : v & 0xffffffffn);
  if (off === 8 || off === 12) return u64(d.ip ?? 0n, off === 12);
  if (off >= 16 && off < 64 && off % 4 === 0) return u64(d.args?.[(off - 16) >> 3] ?? 0n, off % 8 === 4);
  throw new Error(`load outside seccomp_data at ${off}`);
}

/** Runs `prog` on `d`; returns the 32-bit seccomp action. Throws on anything the kernel would reject. */
export function runBpf(prog: readonly Insn[], d: SeccompData): number {
  let A = 0;
  let X = 0;
  const M = new Array<number>(16).fill(0);
  let pc = 0;
  for (let steps = 0; steps < 100000; steps++) {
    const x = prog[pc];
    if (!x) throw new Error(`pc ${pc} outside the program`);
    const cls = x.code & 0x07;
    const src = x.code & 0x08 ? X : x.k >>> 0;
    pc++;
    switch (cls) {
      case 0x00: // LD
        if ((x.code & 0xe0) === 0x20 && (x.code & 0x18) === 0x00) A = word(d, x.k);
        else if ((x.code & 0xe0) === 0x00) A = x.k >>> 0; // LD IMM
        else if ((x.code & 0xe0) === 0x60) A = M[x.k]!;
        else if ((x.code & 0xe0) === 0x80) A = 64; // LEN
        else throw new Error(`bad LD 0x${x.code.toString(16)}`);
        break;
      case 0x01: // LDX
        if ((x.code & 0xe0) === 0x00) X = x.k >>> 0;
        else if ((x.code & 0xe0) === 0x60) X = M[x.k]!;
        else if ((x.code & 0xe0) === 0x80) X = 64;
        else throw new Error(`bad LDX 0x${x.code.toString(16)}`);
        break;
      case 0x02:
        M[x.k] = A;
        break;
      case 0x03:
        M[x.k] = X;
        break;
      case 0x04: { // ALU
        const op = x.code & 0xf0;
        if (op === 0x00) A = (A + src) >>> 0;
        else if (op === 0x10) A = (A - src) >>> 0;
        else if (op === 0x20) A = Number((BigInt(A) * BigInt(src)) & 0xffffffffn);
        else if (op === 0x30) A = src === 0 ? (() => { throw new Error('div by 0'); })() : Math.floor(A / src) >>> 0;
        else if (op === 0x40) A = (A | src) >>> 0;
        else if (op === 0x50) A = (A & src) >>> 0;
        else if (op === 0x60) A = src >= 32 ? 0 : (A << src) >>> 0;
        else if (op === 0x70) A = src >= 32 ? 0 : A >>> src;
        else if (op === 0x80) A = -A >>> 0;
        else if (op === 0x90) A = (A % src) >>> 0;
        else if (op === 0xa0) A = (A ^ src) >>> 0;
        else throw new Error(`bad ALU 0x${x.code.toString(16)}`);
        break;
      }
      case 0x05: { // JMP
        const op = x.code & 0xf0;
        if (op === 0x00) {
          pc += x.k >>> 0;
          break;
        }
        let c: boolean;
        if (op === 0x10) c = A === src;
        else if (op === 0x20) c = A > src;
        else if (op === 0x30) c = A >= src;
        else if (op === 0x40) c = (A & src) !== 0;
        else throw new Error(`bad JMP 0x${x.code.toString(16)}`);
        pc += c ? x.jt : x.jf;
        break;
      }
      case 0x06: // RET
        return (x.code & 0x18) === 0x10 ? A : x.k >>> 0;
      case 0x07: // MISC
        if (x.code === 0x07) X = A;
        else A = X;
        break;
    }
  }
  throw new Error('program did not return');
}
