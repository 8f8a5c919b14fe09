import type { DiagnosticSink } from '../diagnostics/diagnostic';
import type { EnforcementSpec, SourceLoc, Span, Value } from '../ir/types';
import type { BlockNode, FieldNode, ValueNode } from '../syntax/ast';
import { didYouMean, didYouMeanHelp } from '../util/did-you-mean';
import { KNOWN_SYSCALLS } from '@fms/runtime/os';
import { MAX_FENCE_PATHS } from '@fms/runtime/os';

/** Landlock ABI versions this toolchain knows (Linux 5.13 … 6.15). */
export const LANDLOCK_MAX_ABI = 7;
/** Longest path the loader accepts, in UTF-8 bytes (PATH_MAX - 1). */
const MAX_PATH = 4095;
const PROFILES = new Set(['full', 'minimal', 'off']);
const ISOLATIONS = new Set(['none', 'process']);

/** The AST nodes of a list field's items, parallel to its lowered value when the shapes agree. */
function itemNodes(f: FieldNode): ValueNode[] {
  if (f.values.length > 1) return f.values;
  const v = f.values[0];
  if (!v) return [];
  return v.kind === 'list' ? v.items : [v];
}

/**
 * Checks an agent's `enforcement {}` block and turns it into the IR's
 * EnforcementSpec. Reports:
 * - FMS2090 an unknown syscall name (with a did-you-mean);
 * - FMS2091 a path that is not absolute and normalised;
 * - FMS2092 a port outside 1–65535;
 * - FMS2093 a syscall both allowed and denied;
 * - FMS2094 an `isolation` this toolchain does not provide (e.g. `firecracker`);
 * - FMS2095 a `landlock_min_abi` outside 1–7;
 * - FMS2096 (warning) the block is ignored because `runtime { os_tier = false }`;
 * - FMS2097 more distinct paths than the loader accepts (4,096).
 * Returns undefined when the fence is off for the stack. The caller has already
 * reported unknown fields, enum values and value kinds (FMS2002/2003/2027).
 */
export function lowerEnforcement(
  b: BlockNode,
  fields: Record<string, Value>,
  runtime: Record<string, Value>,
  sink: DiagnosticSink,
  loc: SourceLoc,
): EnforcementSpec | undefined {
  const nodes = new Map<string, FieldNode>();
  for (const it of b.items) if (it.kind === 'field' && !nodes.has(it.key.text)) nodes.set(it.key.text, it);
  const field = (name: string): Value | undefined => (Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined);
  const spanOf = (name: string): Span => nodes.get(name)?.key.span ?? b.keyword.span;
  const err = (code: string, message: string, span: Span, help?: string) =>
    sink.accept(help ? { code, severity: 'error', message, span, help } : { code, severity: 'error', message, span });

  /** The string/number items of a list field, each with the span to blame. */
  const items = (name: string): Array<{ v: Value; span: Span }> => {
    const v = field(name);
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    const f = nodes.get(name);
    const ns = f ? itemNodes(f) : [];
    return list.map((x, i) => ({ v: x, span: ns.length === list.length ? ns[i]!.span : spanOf(name) }));
  };

  const paths = (name: string): string[] => {
    const out = new Set<string>();
    for (const { v, span } of items(name)) {
      if (typeof v !== 'string') {
        err('FMS2027', `\`${name}\` takes absolute paths as strings`, span);
        continue;
      }
      const problem = pathProblem(v);
      if (problem) {
        err('FMS2091', `\`${v}\` in \`${name}\` ${problem}`, span, 'write an absolute path without `.` or `..` segments, such as `/srv/agent/data`');
        continue;
      }
      out.add(v.length > 1 ? v.replace(/\/+$/, '') || '/' : v);
    }
    return [...out];
  };

  const ports = (name: string): number[] => {
    const out = new Set<number>();
    for (const { v, span } of items(name)) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
        err('FMS2092', `${typeof v === 'string' ? `\`"${v}"\`` : `\`${JSON.stringify(v)}\``} in \`${name}\` is not a TCP port`, span, 'ports are whole numbers from 1 to 65535, written without quotes');
        continue;
      }
      out.add(v);
    }
    return [...out].sort((x, y) => x - y);
  };

  const syscalls = (name: string): Map<string, Span> => {
    const out = new Map<string, Span>();
    for (const { v, span } of items(name)) {
      if (typeof v !== 'string' || !KNOWN_SYSCALLS.has(v)) {
        const text = typeof v === 'string' ? v : JSON.stringify(v);
        const guess = typeof v === 'string' ? didYouMean(v, KNOWN_SYSCALLS) : undefined;
        err('FMS2090', `unknown syscall \`${text}\` in \`${name}\``, span, guess ? `did you mean \`${guess}\`?` : 'names are Linux syscall names on x86_64 or aarch64, such as `ptrace` or `io_uring_setup`');
        continue;
      }
      if (!out.has(v)) out.set(v, span);
    }
    return out;
  };

  const fsRead = paths('fs_read');
  const fsWrite = paths('fs_write');
  const fsExec = paths('fs_exec');
  const distinct = new Set([...fsRead, ...fsWrite, ...fsExec]).size;
  if (distinct > MAX_FENCE_PATHS) {
    err('FMS2097', `the fence lists ${distinct} distinct paths; at most ${MAX_FENCE_PATHS} are allowed`, b.keyword.span, 'grant a common parent folder instead of many paths beneath it');
  }
  const netConnect = ports('net_connect');
  const netBind = ports('net_bind');
  const deny = syscalls('syscalls_deny');
  const allow = syscalls('syscalls_allow');
  for (const [name, span] of allow) {
    const d = deny.get(name);
    if (d) {
      sink.accept({
        code: 'FMS2093',
        severity: 'error',
        message: `syscall \`${name}\` is both allowed and denied`,
        span,
        related: [{ message: 'denied here', file: sink.file, span: d }],
        help: 'keep it in one of `syscalls_allow` and `syscalls_deny`',
      });
    }
  }

  let landlockMinAbi = 1;
  const abi = field('landlock_min_abi');
  if (abi !== undefined) {
    if (typeof abi === 'number' && Number.isInteger(abi) && abi >= 1 && abi <= LANDLOCK_MAX_ABI) landlockMinAbi = abi;
    else if (typeof abi === 'number') {
      const n = nodes.get('landlock_min_abi')!;
      err('FMS2095', `\`landlock_min_abi\` ${abi} is not a Landlock ABI version`, n.values[0]?.span ?? n.key.span, `Landlock ABI versions are 1 to ${LANDLOCK_MAX_ABI}; the loader refuses to start the agent on a kernel below this one`);
    }
  }

  let isolation: EnforcementSpec['isolation'] = 'process';
  const iso = field('isolation');
  if (typeof iso === 'string') {
    if (ISOLATIONS.has(iso)) isolation = iso as EnforcementSpec['isolation'];
    else {
      const n = nodes.get('isolation')!;
      const guess = didYouMean(iso, ISOLATIONS);
      err('FMS2094', `isolation \`${iso}\` is not supported by this toolchain`, n.values[0]?.span ?? n.key.span, `${guess ? `${didYouMeanHelp(guess)} ` : ''}this toolchain fences an agent as a process (seccomp + Landlock); write \`isolation = "process"\` or leave it out, and run micro-VMs such as Firecracker outside fms`);
    }
  }

  const runtimeProfile = runtime.agent_enforce_profile;
  let profile: EnforcementSpec['profile'] = typeof runtimeProfile === 'string' && PROFILES.has(runtimeProfile) ? (runtimeProfile as EnforcementSpec['profile']) : 'full';
  const p = field('profile');
  if (typeof p === 'string' && PROFILES.has(p)) profile = p as EnforcementSpec['profile'];
  if (field('os_tier') === false) profile = 'off';

  if (runtime.os_tier === false) {
    sink.accept({
      code: 'FMS2096',
      severity: 'warning',
      message: '`enforcement` is ignored because the stack sets `os_tier = false`',
      span: b.keyword.span,
      help: 'remove `os_tier = false` from `runtime {}` to put the kernel fence in the pack, or remove this block',
    });
    return undefined;
  }

  return {
    profile,
    fsRead,
    fsWrite,
    fsExec,
    netConnect,
    netBind,
    syscallsDeny: [...deny.keys()].filter((n) => !allow.has(n)),
    syscallsAllow: [...allow.keys()].filter((n) => !deny.has(n)),
    landlockMinAbi,
    isolation,
    loc,
  };
}

/** A UTF-16 surrogate without its partner: it has no UTF-8 form, so the loader could not open it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a path is not acceptable to the loader, or undefined when it is. */
export function pathProblem(p: string): string | undefined {
  if (!p.startsWith('/')) return 'is not an absolute path';
  if (p.includes('\0')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(p)) return 'is not valid Unicode';
  if (Buffer.byteLength(p, 'utf8') > MAX_PATH) return `is longer than ${MAX_PATH} bytes`;
  if (p.split('/').some((s) => s === '.' || s === '..')) return 'has `.` or `..` segments';
  return undefined;
}
