/**
 * Builders for the documented decision payloads (faramesh denial codes).
 */
import type { Decision } from './types';

/** `file:LINE`. */
export function ref(file: string, line: number): string {
  return `${file}:${line}`;
}

export function unknownAgent(agent: string): Decision {
  return {
    effect: 'deny',
    code: 'UNKNOWN_AGENT',
    rule_ref: null,
    human_message: `denied: unknown agent '${agent}'`,
    resolution: { type: 'rule_block', rule_id: 'agent' },
  };
}

export function invalidCall(why: string): Decision {
  return { effect: 'deny', code: 'INVALID_CALL', rule_ref: null, human_message: `denied: ${why}`, resolution: { type: 'rule_block', rule_id: 'call' } };
}

/**
 * A decision that could not be made is a deny (fail closed): a field present
 * with the wrong type in a rule that was reached (`ruleRef` names that rule,
 * `why` the field and its problem), or an internal failure (`ruleRef` null).
 */
export function evalError(ruleRef: string | null, why: string): Decision {
  return {
    effect: 'deny',
    code: 'POLICY_EVAL_ERROR',
    rule_ref: ruleRef,
    human_message: `denied: ${why}`,
    resolution: { type: 'rule_block', rule_id: ruleRef ?? 'evaluation' },
  };
}

export function outOfPhase(tool: string, phase: string, ruleRef: string): Decision {
  return {
    effect: 'deny',
    code: 'OUT_OF_PHASE_TOOL_CALL',
    rule_ref: ruleRef,
    human_message: `denied: ${tool} is not available in phase '${phase}'`,
    resolution: { type: 'rule_block', rule_id: ruleRef },
  };
}

/** The payload of a matched rule or of the agent default (`isDefault`). */
export function ruleDecision(
  effect: 'permit' | 'deny' | 'defer',
  tool: string,
  ruleRef: string,
  mandatory: boolean,
  reason: string | null,
  notify: string | null,
  isDefault: boolean,
): Decision {
  let d: Decision;
  if (effect === 'permit') {
    d = { effect, code: 'PERMIT', rule_ref: ruleRef, human_message: `permitted: ${tool}${isDefault ? ' by the agent default' : ''}`, resolution: null };
  } else if (effect === 'deny') {
    d = {
      effect,
      code: 'POLICY_DENY',
      rule_ref: ruleRef,
      human_message: reason !== null ? `denied: ${reason}` : `denied: ${tool} blocked by ${isDefault ? 'the agent default' : mandatory ? 'a mandatory rule' : 'policy'}`,
      resolution: { type: 'rule_block', rule_id: ruleRef },
    };
    if (mandatory) d.mandatory = true;
  } else {
    d = {
      effect,
      code: 'POLICY_DEFER',
      rule_ref: ruleRef,
      human_message: `${tool} deferred for operator approval${reason !== null ? `: ${reason}` : ''}`,
      // The approval id is filled in when the decision is final.
      resolution: { type: 'pending_approval', approval_id: '' },
    };
  }
  if (reason !== null) d.reason = reason;
  if (notify !== null) d.notify = notify;
  return d;
}
