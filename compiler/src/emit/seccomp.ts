/**
 * The seccomp-BPF emitter (DESIGN §6). For one agent and one architecture it
 * builds a plan (an action for every syscall number) and compiles it into a
 * classic BPF program:
 *
 * ```
 * ld arch; jeq AUDIT_ARCH ? next : KILL_PROCESS
 * ld nr                                   (x86_64: nr ≥ 0x40000000 → x32 → KILL, except nr == -1 → ENOSYS)
 * balanced binary search over ranges of numbers that share an action
 * argument blocks (clone flags, ioctl request, socket family and type), low 32 bits only
 * return leaves: ALLOW, ERRNO(EPERM), ERRNO(ENOSYS), ERRNO(EAFNOSUPPORT), KILL_PROCESS
 * ```
 * Numbers the table does not know (gaps and everything above it) get ENOSYS,
 * known syscalls the profile refuses get EPERM. Conditional jumps reach at most
 * 255 instructions; farther targets go through `ja` trampolines.
 */
import type { EnforcementSpec } from '../ir/types';
import { BPF_MAXINSNS, ERRNO, OP, RET, SECCOMP_DATA, type BpfInsn } from '@fms/runtime/os';
import { AUDIT_ARCH, maxSyscall, syscallNumbers, type Arch } from '@fms/runtime/os';

/** What the filter does with one syscall number. `arg:*` inspects an argument first. */
export type SyscallAction = 'allow' | 'eperm' | 'enosys' | 'arg:clone' | 'arg:ioctl' | 'arg:socket';

/**
 * `full`: a container-runtime-style allowlist (after Docker's default profile)
 * without ptrace, mount, bpf, io_uring_*, process_vm_*, keyctl, userfaultfd,
 * perf_event_open, unshare/setns, kcmp, pidfd_getfd, personality, the module,
 * kexec, swap, reboot, clock-setting and new-mount-API calls.
 */
export const FULL_ALLOW: readonly string[] = [
  'accept', 'accept4', 'access', 'alarm', 'arch_prctl', 'bind', 'brk', 'capget', 'capset', 'chdir', 'chmod', 'chown',
  'clock_getres', 'clock_gettime', 'clock_nanosleep', 'clone', 'close', 'close_range', 'connect', 'copy_file_range', 'creat',
  'dup', 'dup2', 'dup3', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'eventfd',
  'eventfd2', 'execve', 'execveat', 'exit', 'exit_group', 'faccessat', 'faccessat2', 'fadvise64', 'fallocate', 'fchdir', 'fchmod',
  'fchmodat', 'fchown', 'fchownat', 'fcntl', 'fdatasync', 'fgetxattr', 'flistxattr', 'flock', 'fork', 'fremovexattr', 'fsetxattr',
  'fstat', 'fstatfs', 'fsync', 'ftruncate', 'futex', 'futex_waitv', 'futimesat', 'get_mempolicy', 'get_robust_list', 'getcpu', 'getcwd',
  'getdents', 'getdents64', 'getegid', 'geteuid', 'getgid', 'getgroups', 'getitimer', 'getpeername', 'getpgid', 'getpgrp', 'getpid',
  'getppid', 'getpriority', 'getrandom', 'getresgid', 'getresuid', 'getrlimit', 'getrusage', 'getsid', 'getsockname', 'getsockopt',
  'gettid', 'gettimeofday', 'getuid', 'getxattr', 'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch',
  'io_cancel', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_setup', 'io_submit', 'ioctl', 'ioprio_get', 'ioprio_set', 'kill',
  'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'lchown', 'lgetxattr', 'link', 'linkat', 'listen',
  'listxattr', 'llistxattr', 'lremovexattr', 'lseek', 'lsetxattr', 'lstat', 'madvise', 'mbind', 'membarrier', 'memfd_create', 'mincore',
  'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mlock', 'mlock2', 'mlockall', 'mmap', 'mprotect', 'mq_getsetattr', 'mq_notify', 'mq_open',
  'mq_timedreceive', 'mq_timedsend', 'mq_unlink', 'mremap', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'msync', 'munlock', 'munlockall',
  'munmap', 'nanosleep', 'newfstatat', 'open', 'openat', 'openat2', 'pause', 'pidfd_open', 'pidfd_send_signal', 'pipe', 'pipe2',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect', 'poll', 'ppoll', 'prctl', 'pread64', 'preadv', 'preadv2', 'prlimit64', 'pselect6',
  'pwrite64', 'pwritev', 'pwritev2', 'read', 'readahead', 'readlink', 'readlinkat', 'readv', 'recvfrom', 'recvmmsg', 'recvmsg',
  'remap_file_pages', 'removexattr', 'rename', 'renameat', 'renameat2', 'restart_syscall', 'rmdir', 'rseq', 'rt_sigaction',
  'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_tgsigqueueinfo',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_getscheduler',
  'sched_rr_get_interval', 'sched_setaffinity', 'sched_setattr', 'sched_setparam', 'sched_setscheduler', 'sched_yield', 'seccomp',
  'select', 'semctl', 'semget', 'semop', 'semtimedop', 'sendfile', 'sendmmsg', 'sendmsg', 'sendto', 'set_mempolicy',
  'set_robust_list', 'set_tid_address', 'setfsgid', 'setfsuid', 'setgid', 'setgroups', 'setitimer', 'setpgid', 'setpriority',
  'setregid', 'setresgid', 'setresuid', 'setreuid', 'setrlimit', 'setsid', 'setsockopt', 'setuid', 'setxattr', 'shmat', 'shmctl',
  'shmdt', 'shmget', 'shutdown', 'sigaltstack', 'signalfd', 'signalfd4', 'socket', 'socketpair', 'splice', 'stat', 'statfs', 'statx',
  'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'sysinfo', 'tee', 'tgkill', 'time', 'timer_create', 'timer_delete',
  'timer_getoverrun', 'timer_gettime', 'timer_settime', 'timerfd_create', 'timerfd_gettime', 'timerfd_settime', 'times', 'tkill',
  'truncate', 'umask', 'uname', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimes', 'vfork', 'wait4', 'waitid', 'write', 'writev',
];

/** `minimal`: everything is allowed except these (EPERM), plus clone3 (ENOSYS) and the argument rules. */
export const MINIMAL_DENY: readonly string[] = [
  'ptrace', 'process_vm_readv', 'process_vm_writev', 'kcmp', 'pidfd_getfd', 'mount', 'umount2', 'pivot_root', 'chroot',
  'fsopen', 'fsconfig', 'fsmount', 'fspick', 'move_mount', 'open_tree', 'mount_setattr', 'unshare', 'setns', 'bpf',
  'perf_event_open', 'userfaultfd', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'keyctl', 'add_key', 'request_key',
  'kexec_load', 'kexec_file_load', 'init_module', 'finit_module', 'delete_module', 'create_module', 'reboot', 'swapon', 'swapoff',
  'iopl', 'ioperm', 'open_by_handle_at', 'name_to_handle_at', 'acct', 'settimeofday', 'clock_settime', 'adjtimex', 'clock_adjtime',
  'sethostname', 'setdomainname', 'syslog', 'quotactl', 'quotactl_fd', 'lookup_dcookie', 'vhangup', 'personality', 'uselib',
  'fanotify_init', 'nfsservctl', 'migrate_pages', 'move_pages',
];

/** Namespace flags refused on clone(2) (arg 0): NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
export const CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
/** ioctl(2) requests refused (arg 1): TIOCSTI (push input into a terminal), TIOCLINUX. */
export const IOCTL_DENY = [0x5412, 0x541c] as const;
/** socket(2) families allowed (arg 0): AF_UNIX, AF_INET, AF_INET6, AF_NETLINK; others get EAFNOSUPPORT. */
export const SOCKET_FAMILIES = [1, 2, 10, 16] as const;
/** socket(2) types refused (arg 1 & 0xf): SOCK_RAW, SOCK_PACKET. */
export const SOCKET_TYPES_DENY = [3, 10] as const;

const ARG_RULES: ReadonlyMap<string, SyscallAction> = new Map<string, SyscallAction>([
  ['clone', 'arg:clone'],
  ['ioctl', 'arg:ioctl'],
  ['socket', 'arg:socket'],
]);

/**
 * The action for every number in 0..maxSyscall(arch); numbers above it are
 * ENOSYS. Returns undefined for profile `off` (no filter at all).
 */
export function seccompPlan(spec: Pick<EnforcementSpec, 'profile' | 'syscallsAllow' | 'syscallsDeny'>, arch: Arch): SyscallAction[] | undefined {
  if (spec.profile === 'off') return undefined;
  const table = syscallNumbers(arch);
  const plan: SyscallAction[] = Array.from({ length: maxSyscall(arch) + 1 }, () => 'enosys');
  const base = new Set(spec.profile === 'full' ? FULL_ALLOW : MINIMAL_DENY);
  for (const [name, nr] of table) {
    let allowed = spec.profile === 'full' ? base.has(name) : !base.has(name);
    if (spec.syscallsAllow.includes(name)) allowed = true;
    if (spec.syscallsDeny.includes(name)) allowed = false;
    plan[nr] = allowed ? (ARG_RULES.get(name) ?? 'allow') : 'eperm';
  }
  // clone3 passes its flags in memory a filter cannot read: ENOSYS makes libc fall back to clone(2).
  const clone3 = table.get('clone3');
  if (clone3 !== undefined && !spec.syscallsAllow.includes('clone3')) plan[clone3] = spec.syscallsDeny.includes('clone3') ? 'eperm' : 'enosys';
  return plan;
}

type Label = { at: number };
type Item = { insn: BpfInsn; jt?: Label; jf?: Label; ja?: Label } | { label: Label };

/** A tiny assembler with symbolic forward jumps and trampolines for far targets. */
class Asm {
  items: Item[] = [];
  label(): Label {
    return { at: -1 };
  }
  place(l: Label): void {
    this.items.push({ label: l });
  }
  ld(off: number): void {
    this.items.push({ insn: { code: OP.LD_W_ABS, jt: 0, jf: 0, k: off } });
  }
  and(k: number): void {
    this.items.push({ insn: { code: OP.ALU_AND_K, jt: 0, jf: 0, k } });
  }
  jmp(code: number, k: number, jt: Label, jf: Label): void {
    this.items.push({ insn: { code, jt: 0, jf: 0, k: k >>> 0 }, jt, jf });
  }
  ja(to: Label): void {
    this.items.push({ insn: { code: OP.JA, jt: 0, jf: 0, k: 0 }, ja: to });
  }
  ret(k: number): void {
    this.items.push({ insn: { code: OP.RET_K, jt: 0, jf: 0, k: k >>> 0 } });
  }

  /** Resolves labels; a conditional jump farther than 255 goes through a `ja` placed right after it. */
  assemble(): BpfInsn[] {
    for (;;) {
      this.layout();
      let changed = false;
      const out: Item[] = [];
      for (let i = 0, pc = 0; i < this.items.length; i++) {
        const it = this.items[i]!;
        out.push(it);
        if ('label' in it) continue;
        if (it.jt && it.jf) {
          const far = (l: Label) => l.at - pc - 1 > 255;
          const tramps: Item[] = [];
          for (const side of ['jt', 'jf'] as const) {
            const target = it[side]!;
            if (!far(target)) continue;
            const t = this.label();
            tramps.push({ label: t }, { insn: { code: OP.JA, jt: 0, jf: 0, k: 0 }, ja: target });
            it[side] = t;
            changed = true;
          }
          out.push(...tramps);
        }
        pc++;
      }
      this.items = out;
      if (!changed) break;
    }
    this.layout();
    const insns: BpfInsn[] = [];
    for (const it of this.items) {
      if ('label' in it) continue;
      const pc = insns.length;
      const x = { ...it.insn };
      if (it.jt && it.jf) {
        x.jt = it.jt.at - pc - 1;
        x.jf = it.jf.at - pc - 1;
        if (x.jt < 0 || x.jf < 0 || x.jt > 255 || x.jf > 255) throw new RangeError('BPF jump out of range (emitter bug)');
      } else if (it.ja) {
        x.k = it.ja.at - pc - 1;
        if (x.k < 0) throw new RangeError('BPF backward jump (emitter bug)');
      }
      insns.push(x);
    }
    return insns;
  }

  private layout(): void {
    let pc = 0;
    for (const it of this.items) {
      if ('label' in it) it.label.at = pc;
      else pc++;
    }
  }
}

/** Ranges [lo, hi] of consecutive numbers with one action, covering 0..2^32-1. */
export function planRanges(plan: readonly SyscallAction[]): Array<{ lo: number; hi: number; action: SyscallAction }> {
  const out: Array<{ lo: number; hi: number; action: SyscallAction }> = [];
  const push = (nr: number, action: SyscallAction) => {
    const last = out[out.length - 1];
    if (last && last.action === action && !action.startsWith('arg:')) last.hi = nr;
    else out.push({ lo: nr, hi: nr, action });
  };
  plan.forEach((a, nr) => push(nr, a));
  const last = out[out.length - 1]!;
  if (last.action === 'enosys') last.hi = 0xffffffff;
  else out.push({ lo: plan.length, hi: 0xffffffff, action: 'enosys' });
  return out;
}

/**
 * Compiles a plan into a seccomp-BPF program for `arch`. Throws RangeError if
 * the program would exceed the kernel's 4,096 instructions (it cannot with the
 * generated tables: about 200 ranges give about 300 instructions).
 */
export function emitSeccomp(plan: readonly SyscallAction[], arch: Arch): BpfInsn[] {
  const a = new Asm();
  const L = {
    allow: a.label(),
    eperm: a.label(),
    enosys: a.label(),
    eafnosupport: a.label(),
    kill: a.label(),
    clone: a.label(),
    ioctl: a.label(),
    socket: a.label(),
  };
  const leaf = (act: SyscallAction): Label => (act.startsWith('arg:') ? L[act.slice(4) as 'clone' | 'ioctl' | 'socket'] : L[act as 'allow' | 'eperm' | 'enosys']);

  const next = a.label();
  a.ld(SECCOMP_DATA.arch);
  a.jmp(OP.JEQ_K, AUDIT_ARCH[arch], next, L.kill);
  a.place(next);
  a.ld(SECCOMP_DATA.nr);
  const search = a.label();
  if (arch === 'x86_64') {
    // __X32_SYSCALL_BIT: x32 syscalls reach the x86_64 entry with the same AUDIT_ARCH.
    const x32 = a.label();
    a.jmp(OP.JGE_K, 0x40000000, x32, search);
    a.place(x32);
    a.jmp(OP.JEQ_K, 0xffffffff, L.enosys, L.kill);
  }
  a.place(search);
  const ranges = planRanges(plan);
  const node = (lo: number, hi: number): Label => {
    if (lo === hi) return leaf(ranges[lo]!.action);
    const mid = (lo + hi + 1) >> 1;
    const here = a.label();
    a.place(here);
    const item = { insn: { code: OP.JGE_K, jt: 0, jf: 0, k: ranges[mid]!.lo >>> 0 }, jt: here, jf: here };
    a.items.push(item);
    item.jf = node(lo, mid - 1);
    item.jt = node(mid, hi);
    return here;
  };
  const root = node(0, ranges.length - 1);
  // A plan of one range emits no comparison: jump straight to its leaf.
  if (ranges.length === 1) a.ja(root);
  const used = new Set(plan);

  if (used.has('arg:clone')) {
    a.place(L.clone);
    a.ld(SECCOMP_DATA.arg(0));
    a.jmp(OP.JSET_K, CLONE_NS_FLAGS, L.eperm, L.allow);
  }
  if (used.has('arg:ioctl')) {
    a.place(L.ioctl);
    a.ld(SECCOMP_DATA.arg(1));
    IOCTL_DENY.forEach((req, i) => {
      const more = a.label();
      a.jmp(OP.JEQ_K, req, L.eperm, i === IOCTL_DENY.length - 1 ? L.allow : more);
      if (i < IOCTL_DENY.length - 1) a.place(more);
    });
  }
  if (used.has('arg:socket')) {
    a.place(L.socket);
    const type = a.label();
    a.ld(SECCOMP_DATA.arg(0));
    SOCKET_FAMILIES.forEach((fam, i) => {
      const more = a.label();
      a.jmp(OP.JEQ_K, fam, type, i === SOCKET_FAMILIES.length - 1 ? L.eafnosupport : more);
      if (i < SOCKET_FAMILIES.length - 1) a.place(more);
    });
    a.place(type);
    a.ld(SECCOMP_DATA.arg(1));
    a.and(0xf);
    SOCKET_TYPES_DENY.forEach((t, i) => {
      const more = a.label();
      a.jmp(OP.JEQ_K, t, L.eperm, i === SOCKET_TYPES_DENY.length - 1 ? L.allow : more);
      if (i < SOCKET_TYPES_DENY.length - 1) a.place(more);
    });
  }
  a.place(L.allow);
  a.ret(RET.ALLOW);
  a.place(L.eperm);
  a.ret(RET.ERRNO | ERRNO.EPERM);
  a.place(L.enosys);
  a.ret(RET.ERRNO | ERRNO.ENOSYS);
  a.place(L.eafnosupport);
  a.ret(RET.ERRNO | ERRNO.EAFNOSUPPORT);
  a.place(L.kill);
  a.ret(RET.KILL_PROCESS);
  const insns = a.assemble();
  if (insns.length > BPF_MAXINSNS) throw new RangeError(`seccomp program of ${insns.length} instructions exceeds ${BPF_MAXINSNS}`);
  return insns;
}
