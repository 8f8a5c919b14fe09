/**
 * The decision protocol of `fms-run serve` (JSON lines over a Unix socket;
 * schema: `runtime/schema/decision-protocol.schema.json`).
 *
 * A request is one JSON object on one line:
 * `{"id":1,"agent":"a","tool":"t","args":{…},"principal":{…},"session":"s","cost":0.5,"model":"m","selectors":{…},"delegation":{"by":"x","depth":1},"approval_id":"apr-…"}`.
 * `tenant` names the tenant on a server that hosts several packs.
 * `id` (a string of at most 256 characters or a safe integer), `agent` and
 * `tool` are required; every other field is optional; any other field is an
 * error. There is no `time`: the server's clock decides, and a request that
 * carries `time` is denied with `INVALID_CALL` like any call that carries it.
 *
 * A response is one line with the same `id`: `{"id":1,"decision":{…}}` (the
 * decision payload), or `{"id":1,"error":{"code":"INVALID_REQUEST","message":"…"}}`
 * (`id` null when the line had no usable id). Responses on one connection
 * come in the order of its requests.
 */
import type { Call } from '../vm/types';

/** Error codes of a response line. */
export type ProtocolErrorCode =
  /** The line is not JSON. */
  | 'PARSE_ERROR'
  /** JSON, but not a valid request (unknown field, wrong type, missing field). */
  | 'INVALID_REQUEST'
  /** The line is longer than the server's limit; it was discarded up to its newline. */
  | 'LINE_TOO_LONG'
  /** The pack is not verified and loaded yet: retry after `retry_after_ms`. */
  | 'DAEMON_NOT_READY'
  /** The server is draining for shutdown. */
  | 'SHUTTING_DOWN';

/** Longest request line the server reads by default (bytes, without the newline). */
export const DEFAULT_MAX_LINE_BYTES = 1 << 20;
/** Most bytes of answers a connection may leave unread before the server stops reading its requests. */
export const DEFAULT_MAX_PENDING_BYTES = 1 << 20;
/** Longest request id (characters). */
export const MAX_ID_LENGTH = 256;
/** How long a client should wait before retrying `DAEMON_NOT_READY` (ms). */
export const NOT_READY_RETRY_MS = 100;

/** A request id: a short string or a safe integer. */
export type RequestId = string | number;

/** A validated request: its id, the call to decide, and the approval id it retries with. */
export interface DecisionRequest {
  id: RequestId;
  call: Call;
  approvalId?: string;
  /** Set when the request carried `time`: it is denied with INVALID_CALL (the runtime's reason). */
  carriesTime: boolean;
  /** The tenant it names (a server with tenants requires one). */
  tenant?: string;
}

/** A request that is not valid: the id (when usable) and why. */
export interface RequestError {
  id: RequestId | null;
  code: ProtocolErrorCode;
  message: string;
}

const OBJECT_FIELDS = new Set(['args', 'principal', 'selectors']);
const STRING_FIELDS = new Set(['agent', 'tool', 'session', 'model', 'approval_id', 'tenant']);

function isPlainObject(v: unknown): v is { [k: string]: unknown } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function validId(v: unknown): v is RequestId {
  return (typeof v === 'string' && v.length <= MAX_ID_LENGTH) || (typeof v === 'number' && Number.isSafeInteger(v));
}

/** Field names in messages: bounded and printable. */
function fieldName(k: string): string {
  return '`' + JSON.stringify(k.length > 64 ? k.slice(0, 64) + '…' : k).slice(1, -1) + '`';
}

/**
 * Validates a parsed request line (top-level shape only: the nested content
 * of `args`, `principal` and `selectors` is the runtime's to check). Returns
 * the request or the error to answer with. Never throws.
 */
export function parseRequest(v: unknown): DecisionRequest | RequestError {
  if (!isPlainObject(v)) return { id: null, code: 'INVALID_REQUEST', message: 'a request is a JSON object' };
  const rawId = Object.hasOwn(v, 'id') ? v['id'] : undefined;
  const id = validId(rawId) ? rawId : null;
  const bad = (message: string): RequestError => ({ id, code: 'INVALID_REQUEST', message });
  if (rawId === undefined) return bad('missing field `id`');
  if (id === null) return bad(`\`id\` must be a string of at most ${MAX_ID_LENGTH} characters or a safe integer`);
  let carriesTime = false;
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (k === 'id') continue;
    if (STRING_FIELDS.has(k)) {
      if (typeof x !== 'string') return bad(`${fieldName(k)} must be a string`);
    } else if (OBJECT_FIELDS.has(k)) {
      if (!isPlainObject(x)) return bad(`${fieldName(k)} must be an object`);
    } else if (k === 'cost') {
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) return bad('`cost` must be a finite number ≥ 0');
    } else if (k === 'delegation') {
      if (!isPlainObject(x)) return bad('`delegation` must be an object');
      for (const dk of Object.keys(x)) if (dk !== 'by' && dk !== 'depth') return bad(`unknown field ${fieldName(dk)} in \`delegation\``);
      if (typeof x['by'] !== 'string') return bad('`delegation.by` must be a string');
      if (x['depth'] !== undefined && !(typeof x['depth'] === 'number' && Number.isSafeInteger(x['depth']) && x['depth'] >= 1)) return bad('`delegation.depth` must be an integer ≥ 1');
    } else if (k === 'time') {
      carriesTime = true;
    } else return bad(`unknown field ${fieldName(k)}`);
  }
  if (!Object.hasOwn(v, 'agent')) return bad('missing field `agent`');
  if (!Object.hasOwn(v, 'tool')) return bad('missing field `tool`');
  const call: Call = { agent: v['agent'] as string, tool: v['tool'] as string };
  if (v['args'] !== undefined) call.args = v['args'] as { [k: string]: unknown };
  if (v['principal'] !== undefined) call.principal = v['principal'] as { [k: string]: unknown };
  if (v['selectors'] !== undefined) call.selectors = v['selectors'] as { [k: string]: unknown };
  if (v['session'] !== undefined) call.session = v['session'] as string;
  if (v['model'] !== undefined) call.model = v['model'] as string;
  if (v['cost'] !== undefined) call.cost = v['cost'] as number;
  if (v['delegation'] !== undefined) {
    const d = v['delegation'] as { by: string; depth?: number };
    call.delegation = d.depth === undefined ? { by: d.by } : { by: d.by, depth: d.depth };
  }
  const r: DecisionRequest = { id, call, carriesTime };
  if (v['approval_id'] !== undefined) r.approvalId = v['approval_id'] as string;
  if (v['tenant'] !== undefined) r.tenant = v['tenant'] as string;
  return r;
}

/** True when `r` is an error rather than a request. */
export function isRequestError(r: DecisionRequest | RequestError): r is RequestError {
  return (r as RequestError).code !== undefined;
}

/** One error response line (with its newline). */
export function errorLine(id: RequestId | null, code: ProtocolErrorCode, message: string, retryAfterMs?: number): string {
  const err: { code: ProtocolErrorCode; message: string; retry_after_ms?: number } = { code, message };
  if (retryAfterMs !== undefined) err.retry_after_ms = retryAfterMs;
  return JSON.stringify({ id, error: err }) + '\n';
}

/** One decision response line (with its newline); `decisionJson` is the decision serialised. */
export function decisionLine(id: RequestId, decisionJson: string): string {
  return '{"id":' + JSON.stringify(id) + ',"decision":' + decisionJson + '}\n';
}
