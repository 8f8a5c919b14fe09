/**
 * Decisions from JSON text to JSON text: what a server pays per request.
 */
import { invalidCall } from './vm/payloads';
import type { LoadedPack } from './vm/loaded-pack';
import type { Call, Decision } from './vm/types';

/**
 * Parses one JSON call, decides it and returns the decision as JSON. Never
 * throws: unparsable input is denied with `INVALID_CALL`.
 */
export function decideJson(pack: LoadedPack, json: string): string {
  let call: unknown;
  try {
    call = JSON.parse(json);
  } catch {
    return JSON.stringify(invalidCall('request is not valid JSON'));
  }
  return pack.decideText(call as Call);
}

const q = JSON.stringify;

/** `s` as JSON.stringify writes it between the quotes: unchanged when it is printable ASCII without `"` and `\`. */
export function jsonInner(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x20 || ch > 0x7e || ch === 0x22 || ch === 0x5c) return JSON.stringify(s).slice(1, -1);
  }
  return s;
}

/** `JSON.stringify(s)` for a string, without the builtin's call cost when nothing needs escaping (issue 15). */
function qs(s: string): string {
  return typeof s === 'string' ? '"' + jsonInner(s) + '"' : q(s);
}

/**
 * Serialises a decision as JSON (same text as JSON.stringify, field order
 * included), with a fast path for the common shapes.
 */
export function decisionToJson(d: Decision): string {
  if (d.mandatory !== undefined || d.approval_id !== undefined || d.budget_id !== undefined || d.reason !== undefined || d.notify !== undefined || d.warnings !== undefined || d.redacted_args !== undefined) {
    return q(d);
  }
  const r = d.resolution;
  let rs: string;
  if (r === null) rs = 'null';
  else if (r.type === 'rule_block') rs = '{"type":"rule_block","rule_id":' + qs(r.rule_id) + '}';
  else if (r.type === 'retry_after') rs = '{"type":"retry_after","retry_after_seconds":' + q(r.retry_after_seconds) + '}';
  else rs = q(r);
  return '{"effect":"' + d.effect + '","code":"' + d.code + '","rule_ref":' + (d.rule_ref === null ? 'null' : qs(d.rule_ref)) + ',"human_message":' + qs(d.human_message) + ',"resolution":' + rs + '}';
}

/** Decides a call given as an unknown value (e.g. parsed elsewhere); malformed calls are denied. */
export function decideUnknown(pack: LoadedPack, call: unknown): Decision {
  return pack.decide(call as Call);
}
