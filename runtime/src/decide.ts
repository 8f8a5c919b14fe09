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
  return JSON.stringify(pack.decide(call as Call));
}

/** Decides a call given as an unknown value (e.g. parsed elsewhere); malformed calls are denied. */
export function decideUnknown(pack: LoadedPack, call: unknown): Decision {
  return pack.decide(call as Call);
}
