import type { Command } from 'commander';
import { formatOption, JSON_VERSION } from '../common';
import type { Explanation } from '../../vm/types';
import { type CallOpts, callFromOpts, loadPackForCli, packCallOptions } from './eval';

/** Renders an explanation for people: rules tried, condition steps and values, missing fields, limits. */
export function renderExplanation(x: Explanation): string {
  const out: string[] = [];
  for (const e of x.events) {
    switch (e.kind) {
      case 'agent':
        out.push(`agent ${e.agent}: ${e.known ? 'known' : 'UNKNOWN'}`);
        break;
      case 'phase':
        out.push(`phase ${e.phase}: tool ${e.visible ? 'visible' : 'NOT visible'}`);
        break;
      case 'rule':
        out.push(`${e.mandatory ? 'mandatory ' : ''}rule ${e.rule_ref}  ${e.text}  → ${e.result}`);
        for (const s of e.steps) {
          const v = s.missing ? '<missing>' : s.unknown ? 'unknown' : s.type_error ? 'TYPE ERROR' : JSON.stringify(s.value);
          out.push(`    ${s.op === 'load' ? `${s.detail} = ${v}` : `${s.detail} → ${v}`}`);
        }
        if (e.missing.length > 0) out.push(`    missing: ${e.missing.join(', ')}`);
        if (e.type_error) out.push(`    type error: ${e.type_error.field}: ${e.type_error.detail}`);
        break;
      case 'default':
        out.push(`no rule matched: default ${e.effect} (${e.rule_ref})`);
        break;
      case 'rate_limit':
        out.push(`rate limit ${e.pattern} (${e.rule_ref}): ${e.tokens.toFixed(2)}/${e.capacity} tokens → ${e.ok ? 'ok' : 'EXCEEDED'}`);
        break;
      case 'budget':
        out.push(`budget ${e.budget_id} (${e.rule_ref}): spent $${e.spent.toFixed(2)} over ${e.calls} calls, this call $${e.cost.toFixed(2)} → ${e.ok ? (e.warn ? 'ok (warning)' : 'ok') : 'EXCEEDED'}`);
        break;
      case 'egress':
        out.push(`egress (${e.rule_ref}): host ${e.host ?? '(none)'} → ${e.ok ? 'ok' : 'DENIED'}`);
        break;
      case 'model_policy':
        out.push(`model_policy (${e.rule_ref}): model ${e.model ?? '(none)'} → ${e.ok ? 'ok' : 'DENIED'}`);
        break;
      case 'session_limit':
        out.push(`session limits (${e.rule_ref}): ${e.calls} calls, $${e.spent.toFixed(2)}, ${e.elapsed_seconds.toFixed(0)}s → ${e.ok ? 'ok' : 'REACHED'}`);
        break;
      case 'delegation':
        out.push(`delegation by ${e.by || '(malformed)'}${e.rule_ref ? ` (${e.rule_ref})` : ''}: ${e.ok ? 'ok' : `DENIED — ${e.detail}`}`);
        break;
      case 'redaction':
        out.push(`redact (${e.rule_ref}): ${e.paths.join(', ')}`);
        break;
    }
  }
  const d = x.decision;
  out.push(`decision: ${d.effect} ${d.code}${d.rule_ref ? ` (${d.rule_ref})` : ''} — ${d.human_message}`);
  return out.join('\n') + '\n';
}

/** Registers `fms-run explain PACK --agent A --tool T --args JSON`: prints the decision trace. */
export function register(program: Command): void {
  packCallOptions(program.command('explain').argument('<pack>', 'signed pack (.fmspack)').description('show how a pack decides one tool call, step by step'))
    .addOption(formatOption())
    .action((pack: string, o: CallOpts & { format: string }) => {
      const x = loadPackForCli(pack, o).explain(callFromOpts(o));
      process.stdout.write(o.format === 'json' ? JSON.stringify({ version: JSON_VERSION, ...x }, null, 2) + '\n' : renderExplanation(x));
    });
}
