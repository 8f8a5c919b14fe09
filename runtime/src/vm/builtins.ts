/**
 * Built-in functions of conditions for the bytecode evaluator (the IR
 * reference interpreter has its own). Total: a missing argument gives
 * MISSING, one of the wrong type TYPE_ERR (values.ts).
 *
 * History functions look at the session's recorded calls before this one:
 * - `history_contains_within(tool, seconds)`: a permitted call of `tool` in the last `seconds`.
 * - `history_sequence(t1, ..., tn)`: permitted calls of t1..tn occurred in that order (not necessarily adjacent).
 * - `history_tool_count(tool)`: number of permitted calls of `tool`.
 * - `deny_count_within(seconds)`: number of denied calls in the last `seconds`.
 * - `session_sum(tool, field, seconds?)`: sum of `args.field` over permitted calls of `tool` (within `seconds` when given);
 *   a recorded call whose field is present and not a number is a type error (a string amount must not escape the sum).
 * - `session_count(tool, seconds?)`: number of permitted calls of `tool` (within `seconds` when given).
 * Tool names may be globs (`stripe/*`).
 * Argument functions: `args_array_len(path)`, `args_array_contains(path, v)`,
 * `args_array_any_match(path, re)` read the list at `args.<path>` (dotted;
 * missing → unknown, not a list → type error; an item that is not a string
 * where a regex is matched is a type error); `purpose(name)` is `args.purpose == name` (false when missing);
 * `len(x)` is string/list length or object key count.
 */
import type { HistoryEntry } from '../state/store';
import type { Call } from './types';
import { MISSING, type Mark, TYPE_ERR, type XValue, isMark, len, toolNameMatch, walk } from './values';

/** What a built-in can see. */
export interface BuiltinEnv {
  call: Call;
  nowMs: number;
  history: readonly HistoryEntry[];
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function argsList(call: Call, path: XValue): readonly unknown[] | Mark {
  if (isMark(path)) return path;
  if (typeof path !== 'string' || path.length === 0) return TYPE_ERR;
  const v = walk(call.args, path.split('.'));
  if (isMark(v)) return v;
  if (v === null) return MISSING;
  return Array.isArray(v) ? v : TYPE_ERR;
}

/** Calls built-in `id` (index in BUILTINS) with evaluated arguments. */
export function callBuiltin(id: number, a: ReadonlyArray<XValue>, env: BuiltinEnv): XValue {
  // `purpose` reads its own field; for every other built-in a marked argument decides.
  if (id !== 7) {
    for (let i = 0; i < a.length; i++) if (a[i] === TYPE_ERR) return TYPE_ERR;
    for (let i = 0; i < a.length; i++) if (a[i] === MISSING) return MISSING;
  }
  const h = env.history;
  switch (id) {
    case 0: {
      // history_contains_within(tool, seconds)
      const [t, s] = a;
      if (typeof t !== 'string' || !isNum(s)) return TYPE_ERR;
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
      for (const t of a) if (typeof t !== 'string') return TYPE_ERR;
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
      if (typeof t !== 'string') return TYPE_ERR;
      let n = 0;
      for (const e of h) if (e.effect === 'permit' && toolNameMatch(t, e.tool)) n++;
      return n;
    }
    case 3: {
      // deny_count_within(seconds)
      const s = a[0];
      if (!isNum(s)) return TYPE_ERR;
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
      return isMark(l) ? l : l.length;
    }
    case 5: {
      // args_array_contains(path, value)
      const l = argsList(env.call, a[0]!);
      if (isMark(l)) return l;
      const v = a[1];
      if (!(v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return TYPE_ERR;
      for (const x of l) if (x !== null && typeof x === 'object') return TYPE_ERR;
      return l.includes(v);
    }
    case 7: {
      // purpose(name)
      // As the production engine: true iff `args.purpose == name`; false
      // otherwise, also when `args.purpose` is missing or not a string.
      const n = a[0];
      if (typeof n !== 'string') return TYPE_ERR;
      const args = env.call.args;
      return args !== undefined && args !== null && typeof args === 'object' && Object.hasOwn(args, 'purpose') && args['purpose'] === n;
    }
    case 8:
      return len(a[0]!);
    case 9: {
      // session_sum(tool, field, seconds?)
      const [t, f, s] = a;
      if (typeof t !== 'string' || typeof f !== 'string') return TYPE_ERR;
      if (a.length === 3 && !isNum(s)) return TYPE_ERR;
      const since = a.length === 3 ? env.nowMs - (s as number) * 1000 : -Infinity;
      const segs = f.split('.');
      let sum = 0;
      for (const e of h) {
        if (e.timeMs < since || e.effect !== 'permit' || !toolNameMatch(t, e.tool)) continue;
        const v = walk(e.args, segs);
        if (v === MISSING || v === null) continue;
        if (!isNum(v)) return TYPE_ERR;
        sum += v;
      }
      return sum;
    }
    case 10: {
      // session_count(tool, seconds?)
      const [t, s] = a;
      if (typeof t !== 'string') return TYPE_ERR;
      if (a.length === 2 && !isNum(s)) return TYPE_ERR;
      const since = a.length === 2 ? env.nowMs - (s as number) * 1000 : -Infinity;
      let n = 0;
      for (const e of h) if (e.timeMs >= since && e.effect === 'permit' && toolNameMatch(t, e.tool)) n++;
      return n;
    }
    default:
      return TYPE_ERR;
  }
}

/** args_array_any_match(path, regex): some string item of the list matches. */
export function anyMatch(call: Call, path: XValue, test: (s: string) => boolean): boolean | Mark {
  const l = argsList(call, path);
  if (isMark(l)) return l;
  for (const x of l) if (typeof x !== 'string') return TYPE_ERR;
  for (const x of l) if (test(x as string)) return true;
  return false;
}
