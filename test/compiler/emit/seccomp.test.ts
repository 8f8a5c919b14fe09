import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FULL_ALLOW, MINIMAL_DENY, emitSeccomp, seccompPlan, type SyscallAction } from '../../../compiler/src/emit/seccomp';
import { bpfProblem, decodeBpf, disassemble, encodeBpf } from '@fms/runtime/os';
import { ARCHES, KNOWN_SYSCALLS, maxSyscall, syscallNumbers, type Arch } from '@fms/runtime/os';
import { runBpf } from '../../helpers/bpf-interp';

// Written out here on purpose (not imported): the test's own idea of the ABI.
const AUDIT = { x86_64: 0xc000003e, aarch64: 0xc00000b7 } as const;
const I386 = 0x40000003;
const ALLOW = 0x7fff0000;
const KILL = 0x80000000;
const EPERM = 0x00050001;
const ENOSYS = 0x00050026;
const EAFNOSUPPORT = 0x00050061;

const spec = (profile: 'full' | 'minimal' | 'off', allow: string[] = [], deny: string[] = []) => ({ profile, syscallsAllow: allow, syscallsDeny: deny });
const prog = (s: ReturnType<typeof spec>, arch: Arch) => emitSeccomp(seccompPlan(s, arch)!, arch);
const nr = (arch: Arch, name: string) => syscallNumbers(arch).get(name)!;
const call = (p: ReturnType<typeof prog>, arch: Arch, name: string, args: bigint[] = []) => runBpf(p, { nr: nr(arch, name), arch: AUDIT[arch], args });

/** What a plan entry means once the program has run with neutral (zero) arguments. */
const expect0 = (a: SyscallAction): number => (a === 'allow' ? ALLOW : a === 'eperm' ? EPERM : a === 'enosys' ? ENOSYS : a === 'arg:socket' ? EAFNOSUPPORT : ALLOW);

for (const arch of ARCHES) {
  for (const profile of ['full', 'minimal'] as const) {
    test(`${arch} ${profile}: every number 0..max+64 and the far ends behave as the plan says`, () => {
      const plan = seccompPlan(spec(profile), arch)!;
      const p = emitSeccomp(plan, arch);
      assert.is(bpfProblem(p), undefined);
      assert.ok(p.length <= 4096);
      for (let n = 0; n <= maxSyscall(arch) + 64; n++) {
        const want = n < plan.length ? expect0(plan[n]!) : ENOSYS;
        assert.is(runBpf(p, { nr: n, arch: AUDIT[arch] }), want, `nr ${n}`);
      }
      for (const n of [0x3fffffff, 0x7fffffff, 0xfffffffe]) {
        assert.is(runBpf(p, { nr: n, arch: AUDIT[arch] }), arch === 'x86_64' && n >= 0x40000000 ? KILL : ENOSYS, `nr ${n}`);
      }
      // nr == -1 (a tracer skipped the call) is exempt from the x32 kill.
      assert.is(runBpf(p, { nr: 0xffffffff, arch: AUDIT[arch] }), ENOSYS);
      // Wrong architecture: killed whatever the number.
      for (const n of [0, 1, 2, 59, 101]) assert.is(runBpf(p, { nr: n, arch: I386 }), KILL);
      assert.is(runBpf(p, { nr: 0, arch: AUDIT[arch === 'x86_64' ? 'aarch64' : 'x86_64'] }), KILL);
      // The round trip through bytes is exact.
      assert.equal(decodeBpf(encodeBpf(p)), p);
    });
  }

  test(`${arch}: the dangerous calls get EPERM under full and minimal; clone3 ENOSYS`, () => {
    for (const profile of ['full', 'minimal'] as const) {
      const p = prog(spec(profile), arch);
      for (const name of ['ptrace', 'mount', 'umount2', 'bpf', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'process_vm_readv', 'process_vm_writev', 'keyctl', 'userfaultfd', 'perf_event_open', 'unshare', 'setns', 'kexec_load', 'init_module', 'pivot_root', 'open_by_handle_at']) {
        if (syscallNumbers(arch).has(name)) assert.is(call(p, arch, name), EPERM, `${profile} ${name}`);
      }
      assert.is(call(p, arch, 'clone3'), ENOSYS, `${profile} clone3`);
      for (const name of ['read', 'write', 'openat', 'mmap', 'execve', 'exit_group', 'futex', 'rt_sigreturn', 'wait4', 'pipe2', 'landlock_create_ruleset']) {
        assert.is(call(p, arch, name), ALLOW, `${profile} ${name}`);
      }
    }
    // A syscall the full allowlist leaves out, allowed under minimal.
    assert.is(call(prog(spec('full'), arch), arch, 'syslog'), EPERM);
    assert.is(call(prog(spec('minimal'), arch), arch, 'name_to_handle_at'), EPERM);
    assert.is(call(prog(spec('minimal'), arch), arch, 'getpid'), ALLOW);
  });

  test(`${arch}: argument rules look at the low 32 bits only`, () => {
    for (const profile of ['full', 'minimal'] as const) {
      const p = prog(spec(profile), arch);
      const CLONE_NEWUSER = 0x10000000n;
      const CLONE_NEWNET = 0x40000000n;
      const THREAD = 0x3d0f00n; // what pthread_create passes
      assert.is(call(p, arch, 'clone', [THREAD]), ALLOW);
      assert.is(call(p, arch, 'clone', [0x11n]), ALLOW); // fork(): SIGCHLD
      assert.is(call(p, arch, 'clone', [CLONE_NEWUSER]), EPERM);
      assert.is(call(p, arch, 'clone', [CLONE_NEWNET | 0x11n]), EPERM);
      assert.is(call(p, arch, 'clone', [0xffffffff00000000n | CLONE_NEWUSER]), EPERM);
      assert.is(call(p, arch, 'clone', [0xffffffff00000000n]), ALLOW); // the kernel ignores the high half
      assert.is(call(p, arch, 'ioctl', [1n, 0x5412n]), EPERM); // TIOCSTI
      assert.is(call(p, arch, 'ioctl', [1n, 0xdead00005412n]), EPERM); // cmd is an unsigned int
      assert.is(call(p, arch, 'ioctl', [1n, 0x541cn]), EPERM); // TIOCLINUX
      assert.is(call(p, arch, 'ioctl', [1n, 0x5401n]), ALLOW); // TCGETS
      assert.is(call(p, arch, 'socket', [2n, 1n | 0x80000n]), ALLOW); // AF_INET, SOCK_STREAM|SOCK_CLOEXEC
      assert.is(call(p, arch, 'socket', [10n, 2n]), ALLOW); // AF_INET6 DGRAM
      assert.is(call(p, arch, 'socket', [1n, 1n]), ALLOW); // AF_UNIX
      assert.is(call(p, arch, 'socket', [16n, 3n]), EPERM); // AF_NETLINK but SOCK_RAW
      assert.is(call(p, arch, 'socket', [2n, 3n]), EPERM); // AF_INET SOCK_RAW
      assert.is(call(p, arch, 'socket', [17n, 3n]), EAFNOSUPPORT); // AF_PACKET
      assert.is(call(p, arch, 'socket', [0x100000002n, 1n]), ALLOW);
    }
  });

  test(`${arch}: syscalls_allow and syscalls_deny adjust the profile`, () => {
    const p = prog(spec('full', ['ptrace', 'clone3'], ['getpid', 'clone']), arch);
    assert.is(call(p, arch, 'ptrace'), ALLOW);
    assert.is(call(p, arch, 'clone3'), ALLOW);
    assert.is(call(p, arch, 'getpid'), EPERM);
    assert.is(call(p, arch, 'clone', [0x11n]), EPERM);
    const m = prog(spec('minimal', ['bpf'], ['uname', 'clone3']), arch);
    assert.is(call(m, arch, 'bpf'), ALLOW);
    assert.is(call(m, arch, 'uname'), EPERM);
    assert.is(call(m, arch, 'clone3'), EPERM);
    // A name from the other architecture only is ignored here.
    assert.ok(prog(spec('full', ['arch_prctl']), 'aarch64'));
  });
}

test('every name in the profiles is a real syscall (a typo would silently fence nothing)', () => {
  assert.equal([...FULL_ALLOW, ...MINIMAL_DENY].filter((n) => !KNOWN_SYSCALLS.has(n)), []);
  assert.equal(FULL_ALLOW.filter((n) => MINIMAL_DENY.includes(n)), []);
});

test('off emits no program', () => {
  assert.is(seccompPlan(spec('off'), 'x86_64'), undefined);
});

test('far targets go through trampolines: a plan of 3,000 alternating ranges runs exactly', () => {
  const plan: SyscallAction[] = Array.from({ length: 1500 }, (_, i) => (i % 2 ? 'allow' : 'eperm'));
  const p = emitSeccomp(plan, 'x86_64');
  assert.is(bpfProblem(p), undefined);
  assert.ok(p.length > 1500 && p.length <= 4096, `${p.length}`);
  for (let n = 0; n < 1600; n++) assert.is(runBpf(p, { nr: n, arch: AUDIT.x86_64 }), n < 1500 ? (n % 2 ? ALLOW : EPERM) : ENOSYS, `nr ${n}`);
  const one = emitSeccomp(['allow'], 'aarch64');
  assert.is(runBpf(one, { nr: 0, arch: AUDIT.aarch64 }), ALLOW);
  assert.is(runBpf(one, { nr: 1, arch: AUDIT.aarch64 }), ENOSYS);
  assert.throws(() => emitSeccomp(Array.from({ length: 5000 }, (_, i) => (i % 2 ? 'allow' : 'eperm')), 'x86_64'), /exceeds 4096/);
});

test('the disassembly names syscalls and returns', () => {
  const text = disassemble(prog(spec('full'), 'x86_64'), 'x86_64');
  assert.match(text, /ld   arch/);
  assert.match(text, /jeq  0xc000003e/);
  assert.match(text, /ret  KILL_PROCESS/);
  assert.match(text, /ret  ERRNO\(EPERM\)/);
  assert.match(text, /jset 0x7e020000/);
  assert.match(text, /\(\w+\) \?/);
});

test('bpfProblem refuses tampered programs', () => {
  const p = prog(spec('full'), 'x86_64');
  assert.match(bpfProblem([...p.slice(0, -1)]) ?? '', /jump out/);
  assert.match(bpfProblem([{ code: 0x20, jt: 0, jf: 0, k: 0 }]) ?? '', /return/);
  assert.match(bpfProblem([{ code: 0x20, jt: 0, jf: 0, k: 64 }, ...p]) ?? '', /load outside/);
  assert.match(bpfProblem([{ code: 0x15, jt: 250, jf: 0, k: 1 }, { code: 6, jt: 0, jf: 0, k: 0 }]) ?? '', /jump out/);
  assert.match(bpfProblem([{ code: 0x05, jt: 0, jf: 0, k: 0xffffffff }, { code: 6, jt: 0, jf: 0, k: 0 }]) ?? '', /jump out/);
  assert.match(bpfProblem([{ code: 0x07, jt: 0, jf: 0, k: 0 }, { code: 6, jt: 0, jf: 0, k: 0 }]) ?? '', /opcode/);
  assert.match(bpfProblem([]) ?? '', /empty/);
  assert.match(bpfProblem(Array.from({ length: 4097 }, () => ({ code: 6, jt: 0, jf: 0, k: 0 }))) ?? '', /exceed/);
});

test.run();
