/**
 * Built-in functions of conditions, shared by the evaluator and the IR
 * interpreter. Total: a bad argument gives ERR.
 *
 * History functions look at the session's recorded calls before this one:
 * - `history_contains_within(tool, seconds)`: a permitted call of `tool` in the last `seconds`.
 * - `history_sequence(t1, ..., tn)`: permitted calls of t1..tn occurred in that order (not necessarily adjacent).
 * - `history_tool_count(tool)`: number of permitted calls of `tool`.
 * - `deny_count_within(seconds)`: number of denied calls in the last `seconds`.
 * - `session_sum(tool, field, seconds?)`: sum of numeric `args.field` over permitted calls of `tool` (within `seconds` when given).
 * - `session_count(tool, seconds?)`: number of permitted calls of `tool` (within `seconds` when given).
 * Tool names may be globs (`stripe/*`).
 * Argument functions: `args_array_len(path)`, `args_array_contains(path, v)` read
 * the list at `args.<path>` (dotted); `purpose(name)` is `args.purpose == name` (false when missing);
 * `len(x)` is string/list length or object key count.
 */
import type { HistoryEntry } from '../state/store';
import type { Call } from './types';
import { ERR, type Err, type RValue, len, toolNameMatch, walk } from './values';

/** What a built-in can see. */
export interface BuiltinEnv {
  call: Call;
  nowMs: number;
  history: readonly HistoryEntry[];
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function argsList(call: Call, path: RValue | Err): readonly unknown[] | Err {
  if (typeof path !== 'string' || path.length === 0) return ERR;
  const v = walk(call.args, path.split('.'));
  return Array.isArray(v) ? v : ERR;
}

/** Calls built-in `id` (index in BUILTINS) with evaluated arguments. */
export function callBuiltin(id: number, a: ReadonlyArray<RValue | Err>, env: BuiltinEnv): RValue | Err {
  for (let i = 0; i < a.length; i++) if (a[i] === ERR) return ERR;
  const h = env.history;
  switch (id) {
    case 0: {
      // history_contains_within(tool, seconds)
      const [t, s] = a;
      if (typeof t !== 'string' || !isNum(s)) return ERR;
      const since = env.nowMs - s * 1000;
      for (let i = h.length - 1; i >= 0; i--) {
        const e = h[i]!;
        if (e.timeMs < since) break;
        if (e.effect === 'permit' && toolNameMatch(t, e.tool)) return true;
      }
      return false;
    }
    case 1: {
      // history_sequence(t1, ..., tn)
      for (const t of a) if (typeof t !== 'string') return ERR;
      let k = 0;
      for (let i = 0; i < h.length && k < a.length; i++) {
        const e = h[i]!;
        if (e.effect === 'permit' && toolNameMatch(a[k] as string, e.tool)) k++;
      }
      return k === a.length;
    }
    case 2: {
      // history_tool_count(tool)
      const t = a[0];
      if (typeof t !== 'string') return ERR;
      let n = 0;
      for (const e of h) if (e.effect === 'permit' && toolNameMatch(t, e.tool)) n++;
      return n;
    }
    case 3: {
      // deny_count_within(seconds)
      const s = a[0];
      if (!isNum(s)) return ERR;
      const since = env.nowMs - s * 1000;
      let n = 0;
      for (let i = h.length - 1; i >= 0; i--) {
        const e = h[i]!;
        if (e.timeMs < since) break;
        if (e.effect === 'deny') n++;
      }
      return n;
    }
    case 4: {
      // args_array_len(path)
      const l = argsList(env.call, a[0]!);
      return l === ERR ? ERR : l.length;
    }
    case 5: {
      // args_array_contains(path, value)
      const l = argsList(env.call, a[0]!);
      if (l === ERR) return ERR;
      const v = a[1];
      if (!(v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return ERR;
      return l.includes(v);
    }
    case 7: {
      // purpose(name)
      // As the production engine: true iff `args.purpose == name`; false
      // otherwise, also when `args.purpose` is missing or not a string.
      const n = a[0];
      if (typeof n !== 'string') return ERR;
      const args = env.call.args;
      return args !== undefined && args !== null && typeof args === 'object' && Object.hasOwn(args, 'purpose') && args['purpose'] === n;
    }
    case 8:
      return len(a[0]!);
    case 9: {
      // session_sum(tool, field, seconds?)
      const [t, f, s] = a;
      if (typeof t !== 'string' || typeof f !== 'string') return ERR;
      if (a.length === 3 && !isNum(s)) return ERR;
      const since = a.length === 3 ? env.nowMs - (s as number) * 1000 : -Infinity;
      const segs = f.split('.');
      let sum = 0;
      for (const e of h) {
        if (e.timeMs < since || e.effect !== 'permit' || !toolNameMatch(t, e.tool)) continue;
        const v = walk(e.args, segs);
        if (isNum(v)) sum += v;
      }
      return sum;
    }
    case 10: {
      // session_count(tool, seconds?)
      const [t, s] = a;
      if (typeof t !== 'string') return ERR;
      if (a.length === 2 && !isNum(s)) return ERR;
      const since = a.length === 2 ? env.nowMs - (s as number) * 1000 : -Infinity;
      let n = 0;
      for (const e of h) if (e.timeMs >= since && e.effect === 'permit' && toolNameMatch(t, e.tool)) n++;
      return n;
    }
    default:
      return ERR;
  }
}

/** args_array_any_match(path, regex): some string item of the list matches. */
export function anyMatch(call: Call, path: RValue | Err, test: (s: string) => boolean): boolean | Err {
  const l = argsList(call, path);
  if (l === ERR) return ERR;
  for (const x of l) if (typeof x === 'string' && test(x)) return true;
  return false;
}
