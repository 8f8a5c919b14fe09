/**
 * Hover: the shared documentation of keywords, blocks, fields and condition
 * functions; effect semantics; the resolved value of a `var` (never of an
 * `env()`: that may be a secret); a rule's effective meaning; and the
 * `fmsc explain` text of a diagnostic under the cursor.
 */
import { KEYWORD_DOCS, fieldDoc, type Agent, type BlockNode, type Rule, type RuleNode, type Value, type VarNode } from '@fms/compiler';
import type { Hover, Position } from 'vscode-languageserver/node';
import { MarkupKind } from 'vscode-languageserver/node';
import { fileOf, symbolAt, toOffset, toRange, within, type Analysis } from '../analysis';
import { findAt, type Hit } from '../ast-find';
import { explainText } from './diagnostics';
import { renderRuleExplanation, type CaseExplanation } from '../explain-case';

const md = (s: string): string => s;
const code = (s: string): string => '```fpl\n' + s + '\n```';

/** The IR agent a block path stands in (the implicit one for flat rules). */
export function agentOf(a: Analysis, path: BlockNode[]): Agent | undefined {
  const id = path[0]?.keyword.text === 'agent' ? path[0].label?.text : undefined;
  const agents = a.result.ir?.agents ?? [];
  return id === undefined ? agents.find((x) => x.implicit) : agents.find((x) => x.id === id);
}

function showValue(v: Value): string {
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function lineOf(a: Analysis, offset: number): number {
  return a.doc.positionAt(offset).line + 1;
}

/** The IR rule compiled from a rule node, if the document lowered. */
export function irRule(a: Analysis, agent: Agent | undefined, rule: RuleNode): Rule | undefined {
  return agent?.rules.find((r) => r.loc.span.start === rule.span.start) ?? a.result.ir?.agents.flatMap((x) => x.rules).find((r) => r.loc.span.start === rule.span.start);
}

/** What a rule means in its agent: position, effect, and whether something overrides or shadows it. */
export function ruleMeaning(a: Analysis, rule: RuleNode, path: BlockNode[]): string {
  const agent = agentOf(a, path);
  const r = irRule(a, agent, rule);
  const lines: string[] = [];
  if (r && agent) {
    const eff = r.mandatory ? 'mandatory deny (`deny!`): checked before every other rule' : `${r.effect}`;
    lines.push(`Rule ${r.index + 1} of ${agent.rules.length} in agent \`${agent.id}\`: ${eff}${r.when ? ' when its condition is true' : ' for every matching call'}${r.phase ? `, only in phase \`${r.phase}\`` : ''}.`);
  }
  for (const d of a.result.diagnostics) {
    if (d.code !== 'FMS2011' && d.code !== 'FMS2012') continue;
    if (d.span.start < rule.span.start || d.span.start >= rule.span.end) continue;
    const rel = d.related?.[0];
    const at = rel ? ` (line ${lineOf(a, rel.span.start)})` : '';
    lines.push(d.code === 'FMS2011' ? `**Never applies**: overridden by a \`deny!\`${at}. ${d.message}` : `**Unreachable**${at}: ${d.message}`);
  }
  if (r && agent && !r.mandatory) {
    const conditional = agent.rules.filter((m) => m.mandatory && m.when).length;
    if (conditional) lines.push(`${conditional} conditional \`deny!\` rule(s) of this agent are checked first and win when they match.`);
  }
  return lines.join('\n\n');
}

function varHover(a: Analysis, v: VarNode, path: BlockNode[]): string {
  const agent = agentOf(a, path);
  if (v.value.kind === 'call' && v.value.name === 'env') {
    const arg = v.value.args[0];
    const name = arg && arg.kind === 'string' ? arg.value : '?';
    const set = Object.hasOwn(process.env, name);
    return `${code(`var ${v.name.text} = env("${name}")`)}\nRead from the environment at compile time: \`${name}\` is ${set ? 'set in the language server\'s environment (value not shown)' : 'unset'}.`;
  }
  const val = agent && Object.hasOwn(agent.vars, v.name.text) ? agent.vars[v.name.text] : undefined;
  return `${code(`var ${v.name.text}`)}\n${val !== undefined ? `Resolved value: \`${showValue(val)}\`` : 'Not resolved (the document has errors).'}`;
}

function docOf(word: string): string | undefined {
  const d = KEYWORD_DOCS.get(word);
  return d ? `${code(d.signature)}\n${d.doc}` : undefined;
}

function fieldBlock(path: BlockNode[]): string {
  const b = path[path.length - 1];
  return b ? b.keyword.text : 'agent';
}

function hitHover(a: Analysis, hit: Hit, offset: number): string | undefined {
  switch (hit.kind) {
    case 'block-keyword':
      return docOf(hit.block.keyword.text);
    case 'block-label': {
      const s = symbolAt(a, offset);
      const kw = hit.block.keyword.text;
      return `${code(`${kw} ${hit.block.label!.raw}`)}\n${s ? `${s.symbol.refs.length} reference(s).` : ''}\n\n${KEYWORD_DOCS.get(kw)?.doc ?? ''}`.trim();
    }
    case 'field-key': {
      const d = fieldDoc(fieldBlock(hit.path), hit.field.key.text);
      return d ? `${code(d.signature)}\n${d.doc}` : undefined;
    }
    case 'field-value': {
      const v = hit.value;
      if (v.kind === 'call' && v.name === 'env') {
        const arg = v.args[0];
        const name = arg && arg.kind === 'string' ? arg.value : '?';
        return `\`env("${name}")\`: read at compile time; \`${name}\` is ${Object.hasOwn(process.env, name) ? 'set (value not shown)' : 'unset'}.`;
      }
      if (v.kind === 'word') {
        const agent = agentOf(a, hit.path);
        if (agent && Object.hasOwn(agent.vars, v.text)) return `\`var ${v.text}\` = \`${showValue(agent.vars[v.text]!)}\``;
        return docOf(v.text);
      }
      return undefined;
    }
    case 'var':
      return varHover(a, hit.node, hit.path);
    case 'effect': {
      const d = docOf(hit.rule.effect.spelling);
      const meaning = ruleMeaning(a, hit.rule, hit.path);
      return [d, meaning].filter(Boolean).join('\n\n---\n\n');
    }
    case 'tool': {
      const t = hit.rule.tool.text;
      const shape = t === '*' ? 'every tool' : t.includes('*') ? 'tools matching the pattern (`*` does not cross `/`)' : 'exactly this tool';
      return [`\`${t}\`: ${shape}.`, ruleMeaning(a, hit.rule, hit.path)].filter(Boolean).join('\n\n');
    }
    case 'expr': {
      const e = hit.expr;
      if (e.kind === 'call') return docOf(e.callee);
      if (e.kind === 'name') {
        const head = e.path.split('.')[0]!;
        const agent = agentOf(a, hit.path);
        if (agent && Object.hasOwn(agent.vars, head)) return `\`var ${head}\` = \`${showValue(agent.vars[head]!)}\``;
        const known = KEYWORD_DOCS.get(e.path) ?? KEYWORD_DOCS.get(head);
        if (known && known.kind !== 'block') return `${code(known.signature)}\n${known.doc}`;
        if (a.symbols.some((s) => s.kind === 'selector' && s.name === head)) return `Selector \`${head}\`: looked up at decision time.`;
        if (head !== 'args' && !known) return `\`${e.path}\` reads \`args.${e.path}\` (an argument of the call).`;
        return known ? `${code(known.signature)}\n${known.doc}` : undefined;
      }
      if (e.kind === 'compare') return docOf(e.op) ?? undefined;
      return undefined;
    }
    case 'clause':
      return docOf(hit.clause.kind);
    case 'item-keyword':
      return docOf(hit.word);
  }
}

/**
 * The hover at `pos`, or null. Pure: reads only the analysis and `explain`,
 * the fixture case selected for this document (`fms.selectFixtureCase`): on a
 * rule, its trace for that case follows the rule's meaning.
 */
export function hover(a: Analysis, pos: Position, explain?: CaseExplanation): Hover | null {
  const offset = toOffset(a.doc, pos);
  const parts: string[] = [];
  const hit = findAt(a.result.ast.items, offset);
  const h = hit ? hitHover(a, hit, offset) : undefined;
  if (h) parts.push(md(h));
  if (explain && hit && (hit.kind === 'effect' || hit.kind === 'tool') && a.result.ir) {
    const agent = agentOf(a, hit.path);
    const rule = irRule(a, agent, hit.rule);
    const owner = rule && a.result.ir.agents.find((x) => x.rules.includes(rule));
    if (rule && owner) parts.push(renderRuleExplanation(explain, a.result.ir, owner, rule));
  }
  for (const d of a.result.diagnostics) {
    if (d.file === fileOf(a.doc.uri) && within(d.span, offset) && d.span.end > d.span.start) {
      const ex = explainText(d.code);
      if (ex) parts.push(`**${d.code}**: ${d.message}\n\n${ex.split('\n\n').slice(1).join('\n\n')}\n\n\`fmsc explain ${d.code}\``);
    }
  }
  if (!parts.length) return null;
  const range = hit && hit.kind === 'effect' ? toRange(a.doc, hit.rule.effect.span) : undefined;
  return { contents: { kind: MarkupKind.Markdown, value: [...new Set(parts)].join('\n\n---\n\n') }, ...(range ? { range } : {}) };
}
