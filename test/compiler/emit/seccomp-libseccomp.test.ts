// Differential test: our seccomp emitter against libseccomp (Debian's
// libseccomp-dev), same rules, both architectures, every syscall number, the
// x32 range and argument sets for the three argument rules. libseccomp's filter
// is exported with seccomp_export_bpf by a small C harness built here and run in
// the test's BPF interpreter next to ours. Every difference must be one of the
// intended ones listed below. Skips loudly without cc/libseccomp; FAILS under CI=true.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLONE_NS_FLAGS, SOCKET_FAMILIES, SOCKET_TYPES_DENY, emitSeccomp, seccompPlan } from '../../../compiler/src/emit/seccomp';
import { ARCHES, maxSyscall, syscallNames, syscallNumbers, type Arch } from '@fms/runtime/os';
import { decodeBpf } from '@fms/runtime/os';
import { ROOT } from '../../helpers/paths';
import { runBpf, type Insn } from '../../helpers/bpf-interp';

const SUITE = 'seccomp-libseccomp';
const AUDIT = { x86_64: 0xc000003e, aarch64: 0xc00000b7 } as const;
const ENOSYS = 0x00050026;
const EAFNOSUPPORT = 0x00050061;

const why = spawnSync('cc', ['--version']).status !== 0 ? 'no C compiler `cc`' : !existsSync('/usr/include/seccomp.h') ? 'libseccomp-dev not installed' : undefined;
if (why) {
  if (process.env.CI === 'true') throw new Error(`${SUITE}: required when CI=true: ${why}`);
  process.stderr.write(`\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! ${SUITE}: SKIPPED (${why})\n!!! the differential test against libseccomp did NOT run\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`);
}

const hex = (n: number) => (n >>> 0).toString(16);

/** The same policy as libseccomp rules: masked comparisons on the low 32 bits, written out bit by bit. */
function rulesFor(arch: Arch, profile: 'full' | 'minimal'): string {
  const plan = seccompPlan({ profile, syscallsAllow: [], syscallsDeny: [] }, arch)!;
  const lines: string[] = [];
  for (const [name, nr] of syscallNumbers(arch)) {
    const a = plan[nr]!;
    if (a === 'enosys') continue; // the default action; libseccomp refuses a rule equal to it
    if (a === 'allow' || a === 'eperm') lines.push(`${a} ${name}`);
    else if (a === 'arg:clone') {
      for (let b = 0; b < 32; b++) if (CLONE_NS_FLAGS & (1 << b)) lines.push(`masked eperm clone 0 ${hex(1 << b)} ${hex(1 << b)}`);
      lines.push(`masked allow clone 0 ${hex(CLONE_NS_FLAGS)} 0`);
    } else if (a === 'arg:ioctl') {
      // Refused: TIOCSTI 0x5412 and TIOCLINUX 0x541c. They differ only in bits 1-3.
      lines.push('masked eperm ioctl 1 ffffffff 5412', 'masked eperm ioctl 1 ffffffff 541c');
      for (let b = 0; b < 32; b++) if (b < 1 || b > 3) lines.push(`masked allow ioctl 1 ${hex(1 << b)} ${hex(~0x5412 & (1 << b))}`);
      for (const v of [0x0, 0x4, 0x6, 0x8, 0xa, 0xe]) lines.push(`masked allow ioctl 1 e ${hex(v)}`);
    } else {
      for (const fam of SOCKET_FAMILIES) {
        for (let t = 0; t < 16; t++) lines.push(`masked ${(SOCKET_TYPES_DENY as readonly number[]).includes(t) ? 'eperm' : 'allow'} socket 0 ffffffff ${hex(fam)} 1 f ${hex(t)}`);
      }
    }
  }
  return lines.join('\n') + '\n';
}

const HI = 0xffffffff00000000n;
const ARG_SETS: Record<string, bigint[][]> = {
  clone: [[0n], [0x11n], [0x3d0f00n], [0x10000000n], [0x40000011n], [0x00020000n], [HI | 0x10000000n], [HI], [0x7e020000n], [0x01000000n]],
  ioctl: [[1n, 0x5412n], [1n, 0x541cn], [1n, 0x5401n], [1n, HI | 0x5412n], [1n, 0x5413n], [1n, 0x5410n], [1n, 0x541en], [1n, 0x5416n], [1n, 0x1005412n], [1n, 0n]],
  socket: [[1n, 1n], [2n, 0x80001n], [2n, 3n], [10n, 2n], [16n, 3n], [16n, 0n], [17n, 3n], [HI | 2n, 1n], [2n, HI | 1n], [0n, 1n], [38n, 5n]],
};

if (!why) {
  const dir = mkdtempSync(join(tmpdir(), 'fms-libseccomp-'));
  const harness = join(dir, 'export');
  const built = spawnSync('cc', ['-O1', '-o', harness, join(ROOT, 'test/fixtures/fence/libseccomp-export.c'), '-lseccomp'], { encoding: 'utf8' });

  for (const arch of ARCHES) {
    for (const profile of ['full', 'minimal'] as const) {
      test(`${arch} ${profile}: our filter and libseccomp's agree except for the listed, intended differences`, () => {
        assert.is(built.status, 0, built.stderr);
        const r = spawnSync(harness, [arch], { input: rulesFor(arch, profile), maxBuffer: 1 << 24 });
        assert.is(r.status, 0, r.stderr.toString());
        // Names the kernel headers know and libseccomp 2.5's table does not: libseccomp cannot place a rule there.
        const unknownToLibseccomp = new Set([...r.stderr.toString().matchAll(/^unknown (\S+)$/gm)].map((m) => m[1]!));
        const theirs: Insn[] = decodeBpf(new Uint8Array(r.stdout));
        const ours = emitSeccomp(seccompPlan({ profile, syscallsAllow: [], syscallsDeny: [] }, arch)!, arch);
        const names = syscallNames(arch);
        const diffs: string[] = [];
        let compared = 0;
        const cmp = (nr: number, args: bigint[] = [], archV: number = AUDIT[arch]) => {
          const a = runBpf(ours, { nr, arch: archV, args });
          const b = runBpf(theirs, { nr, arch: archV, args });
          compared++;
          if (a === b) return;
          const name = names.get(nr);
          // Intended 1: numbers whose syscall libseccomp does not know (its table predates the kernel headers).
          if (name && unknownToLibseccomp.has(name) && b === ENOSYS) return;
          // Intended 2: socket() with a family we do not allow: EAFNOSUPPORT (what libc reports
          // for an unsupported family) where libseccomp can only fall back to the default ENOSYS.
          if (name === 'socket' && a === EAFNOSUPPORT && b === ENOSYS) return;
          diffs.push(`${name ?? nr} [${args.map((x) => x.toString(16)).join(',')}] arch ${hex(archV)}: ours ${hex(a)} libseccomp ${hex(b)}`);
        };
        for (let nr = 0; nr <= maxSyscall(arch) + 64; nr++) {
          cmp(nr);
          const set = ARG_SETS[names.get(nr) ?? ''];
          if (set) for (const args of set) cmp(nr, args);
        }
        for (const nr of [0x3fffffff, 0x40000000, 0x40000001, 0x4000003b, 0x7fffffff, 0xfffffffe, 0xffffffff]) cmp(nr);
        for (const other of [0x40000003, AUDIT[arch === 'x86_64' ? 'aarch64' : 'x86_64'], 0]) for (const nr of [0, 1, 59, 0xffffffff]) cmp(nr, [], other);
        assert.equal(diffs, [], diffs.slice(0, 20).join('\n'));
        assert.ok(compared > 400);
        // Sizes, for the record: ours is a balanced search, libseccomp's a linear chain.
        assert.ok(ours.length < theirs.length, `ours ${ours.length} vs libseccomp ${theirs.length}`);
      });
    }
  }
}

test.run();
