/**
 * The realistic workload of `npm run bench` (issue 15): a generated
 * multi-agent stack that uses every feature a production stack uses — `deny!`
 * (unconditional and conditional), exact tools and globs, regexes, defers,
 * budgets, rate limits, session limits, egress and redaction — its Cedar
 * equivalent, and a varied call stream (hits, glob-only hits, `deny!`
 * targets, unknown tools and agents, missing fields, defers; thousands of
 * distinct tool names).
 *
 * The Cedar side is Cedar's best mode: one pre-parsed policy set per (agent,
 * tool) slice holding only the rules whose pattern matches that tool, with
 * only the context those rules read. First-match order is encoded exactly:
 * an ordinary rule's Cedar policy is `Ci && !C1 && … && !C(i-1)` over the
 * earlier ordinary rules of the slice, and every `deny!` is a `forbid`.
 * Conditions are monotone (and/or of comparisons), and each Cedar comparison
 * is guarded by `context has f`, so a missing field makes the comparison
 * false in Cedar and unknown in FPL; both mean "does not match" at the top of
 * a monotone condition. Defers are Cedar permits whose ids are recorded, so
 * the two engines can be compared on permit / defer / deny for every call.
 * Budgets, rate limits and session limits have caps the stream never reaches
 * (they are still evaluated on every permitted or deferred call); egress is a
 * `forbid` on the destination's host in Cedar.
 */
import type { Call } from '@fms/runtime';

/** A monotone condition; rendered both as FPL and as Cedar. */
type Cond =
  | { k: 'gt' | 'lt'; f: 'amount'; v: number }
  | { k: 'in'; f: 'currency'; vs: string[] }
  | { k: 'eq'; f: 'env'; v: string }
  | { k: 're'; f: 'cmd'; prefixes: string[]; anchored: boolean }
  | { k: 'grp'; v: string }
  | { k: 'and' | 'or'; a: Cond; b: Cond };

type Effect = 'permit' | 'deny' | 'defer' | 'deny!';

interface GenRule {
  effect: Effect;
  /** `exact` text, or a glob with one `*` at the end of a segment prefix (`svc3/read_*`, `shell/*`). */
  pattern: string;
  cond: Cond | null;
}

interface GenAgent {
  id: string;
  rules: GenRule[];
  exactTools: string[];
  globPrefixes: string[];
}

/** The generated stack, its Cedar slices and the call stream. */
export interface RealisticStack {
  /** Number of rules. */
  n: number;
  source: string;
  agents: string[];
  calls: Call[];
  /** Cedar: distinct slice texts by id (`s0`, `s1`, …). */
  cedarSlices: Map<string, string>;
  /** Cedar: one request per call (pre-built, like the fms calls). */
  cedarCalls: CedarCall[];
  /** Cedar: per slice id, the policy ids (`policyN`) that are defers. */
  cedarDefers: Map<string, Set<string>>;
}

/** The request shape of `statefulIsAuthorized`. */
export interface CedarCall {
  principal: { type: string; id: string };
  action: { type: string; id: string };
  resource: { type: string; id: string };
  context: { [k: string]: string | number | string[] };
  preparsedPolicySetId: string;
  entities: never[];
}

/** A small seeded PRNG (mulberry32): the same stack and stream on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fpl(c: Cond): string {
  switch (c.k) {
    case 'gt':
      return `args.${c.f} > ${c.v}`;
    case 'lt':
      return `args.${c.f} < ${c.v}`;
    case 'in':
      return `args.${c.f} in [${c.vs.map((v) => JSON.stringify(v)).join(', ')}]`;
    case 'eq':
      return `args.${c.f} == ${JSON.stringify(c.v)}`;
    case 're':
      return `args.${c.f} matches ${JSON.stringify((c.anchored ? '^' : '') + '(' + c.prefixes.join('|') + ')')}`;
    case 'grp':
      return `principal.groups contains ${JSON.stringify(c.v)}`;
    case 'and':
      return `(${fpl(c.a)} and ${fpl(c.b)})`;
    case 'or':
      return `(${fpl(c.a)} or ${fpl(c.b)})`;
  }
}

function cedar(c: Cond): string {
  switch (c.k) {
    case 'gt':
      return `(context has ${c.f} && context.${c.f} > ${c.v})`;
    case 'lt':
      return `(context has ${c.f} && context.${c.f} < ${c.v})`;
    case 'in':
      return `(context has ${c.f} && [${c.vs.map((v) => JSON.stringify(v)).join(', ')}].contains(context.${c.f}))`;
    case 'eq':
      return `(context has ${c.f} && context.${c.f} == ${JSON.stringify(c.v)})`;
    case 're':
      return `(context has ${c.f} && (${c.prefixes.map((p) => `context.${c.f} like "${c.anchored ? '' : '*'}${p}*"`).join(' || ')}))`;
    case 'grp':
      return `(context has groups && context.groups.contains(${JSON.stringify(c.v)}))`;
    case 'and':
      return `(${cedar(c.a)} && ${cedar(c.b)})`;
    case 'or':
      return `(${cedar(c.a)} || ${cedar(c.b)})`;
  }
}

function fieldsOf(c: Cond | null, out: Set<string>): void {
  if (c === null) return;
  if (c.k === 'and' || c.k === 'or') {
    fieldsOf(c.a, out);
    fieldsOf(c.b, out);
  } else if (c.k === 'grp') out.add('groups');
  else if ('f' in c) out.add(c.f);
}

/** FPL pattern semantics for the generator's patterns: exact, or `prefix*` where `*` does not cross `/`. */
function matches(pattern: string, tool: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return pattern === tool;
  const pre = pattern.slice(0, star);
  return tool.startsWith(pre) && !tool.slice(pre.length).includes('/');
}

const SVCS = 23;

function genAgent(id: string, ai: number, ruleCount: number, r: () => number): GenAgent {
  const rules: GenRule[] = [
    { effect: 'deny!', pattern: 'shell/*', cond: null },
    { effect: 'deny!', pattern: `svc${ai % SVCS}/*`, cond: { k: 'eq', f: 'env', v: 'prod' } },
  ];
  const exactTools: string[] = [];
  const globPrefixes: string[] = [];
  for (let j = 0; rules.length < ruleCount; j++) {
    const k = j % SVCS;
    if (j % 8 === 7) {
      // A glob group: reads are for ops, writes of any size are deferred.
      const pre = `svc${k}/read${j}_`;
      globPrefixes.push(pre, `svc${k}/write${j}_`);
      rules.push({ effect: 'permit', pattern: pre + '*', cond: { k: 'or', a: { k: 'grp', v: 'ops' }, b: { k: 'lt', f: 'amount', v: 100 } } });
      if (rules.length < ruleCount) rules.push({ effect: 'defer', pattern: `svc${k}/write${j}_*`, cond: { k: 'gt', f: 'amount', v: 10 + (j % 40) } });
      continue;
    }
    const t = `svc${k}/op${j}`;
    exactTools.push(t);
    const hi = 1000 + Math.floor(r() * 500);
    const lo = 200 + Math.floor(r() * 300);
    const tag = j % 50;
    rules.push({ effect: 'deny', pattern: t, cond: { k: 'gt', f: 'amount', v: hi } });
    if (rules.length < ruleCount)
      rules.push({ effect: 'defer', pattern: t, cond: { k: 're', f: 'cmd', prefixes: [`deploy-${tag}`, `rollback-${tag}`], anchored: j % 3 !== 0 } });
    if (rules.length < ruleCount)
      rules.push({ effect: 'permit', pattern: t, cond: { k: 'and', a: { k: 'lt', f: 'amount', v: lo }, b: { k: 'in', f: 'currency', vs: ['usd', 'eur'] } } });
  }
  return { id, rules, exactTools, globPrefixes };
}

function agentSource(a: GenAgent, ai: number): string[] {
  const out = [
    `agent "${a.id}" {`,
    '  default deny',
    '  model "gpt-4o"',
    '  budget daily {',
    '    max       $1000000000000',
    '    max_calls 4000000000',
    '    warn_at   0.99',
    '  }',
    '  budget session {',
    '    max $1000000000',
    '  }',
    `  rate_limit "svc*": 1000000000 per second`,
    `  rate_limit "*": 1000000000 per minute`,
    '  session {',
    '    max_calls 1000000000',
    '  }',
    `  redact svc${ai % SVCS}/* args: ["card.number", "card.cvv"]`,
    '  egress {',
    '    allow = ["api.example.com", "*.example.org"]',
    '  }',
    '  rules {',
  ];
  for (const x of a.rules) out.push(`    ${x.effect.padEnd(6)} ${x.pattern}${x.cond ? ' if ' + fpl(x.cond) : ''}`);
  out.push('  }', '}', '');
  return out;
}

const EGRESS_FORBID =
  'forbid (principal, action, resource) when { context has host && !(context.host == "api.example.com" || context.host like "*.example.org") };';

/** The Cedar slice of (agent, tool): its text, the fields it reads and its defer policy ids. */
function slice(a: GenAgent | undefined, tool: string): { text: string; fields: Set<string>; defers: Set<string> } {
  const fields = new Set<string>();
  const defers = new Set<string>();
  if (a === undefined) return { text: '', fields, defers };
  const ps: string[] = [];
  const head = `(principal == Agent::${JSON.stringify(a.id)}, action, resource)`;
  for (const x of a.rules) {
    if (x.effect !== 'deny!' || !matches(x.pattern, tool)) continue;
    fieldsOf(x.cond, fields);
    ps.push(`forbid ${head}${x.cond ? ` when { ${cedar(x.cond)} }` : ''};`);
  }
  const earlier: string[] = [];
  for (const x of a.rules) {
    if (x.effect === 'deny!' || !matches(x.pattern, tool)) continue;
    fieldsOf(x.cond, fields);
    const own = x.cond ? cedar(x.cond) : 'true';
    const when = [own, ...earlier.map((e) => `!${e}`)].join(' && ');
    if (x.effect === 'defer') defers.add(`policy${ps.length}`);
    ps.push(`${x.effect === 'deny' ? 'forbid' : 'permit'} ${head} when { ${when} };`);
    if (x.cond === null) break; // later rules are unreachable
    earlier.push(own);
  }
  // Egress only matters when something can permit (deny is already the answer otherwise).
  if (ps.some((p) => p.startsWith('permit'))) {
    fields.add('host');
    ps.push(EGRESS_FORBID);
  }
  return { text: ps.join('\n'), fields, defers };
}

const CMDS = ['deploy-0 now', 'rollback-7 x', 'deploy-3 now', 'rollback-17', 'status', 'run deploy-3', 'deploy-44', 'list', 'rollback-8 --force', 'noop'];
const HOSTS = ['https://api.example.com/v1/x', 'https://cdn.example.org/a', 'https://evil.test/', 'https://api.example.com/v1/y?q=1'];

/**
 * Builds a stack of about `n` rules (a few agents; more agents for larger
 * stacks) and a stream of `count` calls.
 */
export function realisticStack(n: number, count = 16_384, seed = 15): RealisticStack {
  const r = rng(seed);
  const nAgents = n <= 10 ? 2 : n <= 1000 ? 6 : 8;
  const agents: GenAgent[] = [];
  for (let i = 0; i < nAgents; i++) agents.push(genAgent(`agent-${i}`, i, Math.max(4, Math.round(n / nAgents)), r));
  const byId = new Map(agents.map((a) => [a.id, a]));
  const source = ['runtime {', '  mode = "enforce"', '}', '', ...agents.flatMap((a, i) => agentSource(a, i))].join('\n');
  const calls: Call[] = [];
  const cedarCalls: CedarCall[] = [];
  const cedarSlices = new Map<string, string>();
  const sliceIds = new Map<string, string>();
  const cedarDefers = new Map<string, Set<string>>();
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  for (let i = 0; i < count; i++) {
    const unknownAgent = r() < 0.04;
    const a = unknownAgent ? undefined : pick(agents);
    const agent = a ? a.id : `ghost-${Math.floor(r() * 50)}`;
    const cat = r();
    const ref = a ?? agents[0]!;
    let tool: string;
    if (cat < 0.4 && ref.exactTools.length > 0) tool = pick(ref.exactTools);
    else if (cat < 0.6 && ref.globPrefixes.length > 0) tool = pick(ref.globPrefixes) + Math.floor(r() * 3000).toString(36);
    else if (cat < 0.66) tool = pick(['shell/exec', 'shell/rm', 'shell/curl']);
    else if (cat < 0.75) tool = `svc${Math.floor(r() * SVCS)}/other${Math.floor(r() * 400)}`;
    else tool = `misc${Math.floor(r() * 40)}/t${Math.floor(r() * 2000)}`;
    const args: Record<string, unknown> = {};
    if (r() > 0.15) args['amount'] = pick([5, 50, 150, 400, 700, 1200, 5000]);
    if (r() > 0.15) args['currency'] = pick(['usd', 'eur', 'gbp']);
    if (r() > 0.3) args['cmd'] = pick(CMDS);
    if (r() > 0.5) args['env'] = pick(['prod', 'dev', 'staging']);
    if (r() > 0.6) args['url'] = pick(HOSTS);
    if (r() < 0.2) args['card'] = { number: '4111111111111111', cvv: '123' };
    const call: Call = { agent, tool, args, cost: 0.01, session: `s${i % 64}` };
    const g = r();
    if (g < 0.6) call.principal = { id: `u${i % 97}`, groups: g < 0.3 ? ['ops', 'dev'] : ['dev'] };
    calls.push(call);
    const s = slice(a, tool);
    let id = sliceIds.get(s.text);
    if (id === undefined) {
      id = `s${sliceIds.size}`;
      sliceIds.set(s.text, id);
      cedarSlices.set(id, s.text);
      cedarDefers.set(id, s.defers);
    }
    const context: CedarCall['context'] = {};
    for (const f of s.fields) {
      if (f === 'groups') {
        if (call.principal?.groups !== undefined) context['groups'] = call.principal.groups as string[];
      } else if (f === 'host') {
        if (typeof args['url'] === 'string') context['host'] = new URL(args['url']).hostname;
      } else if (args[f] !== undefined) context[f] = args[f] as string | number;
    }
    cedarCalls.push({
      principal: { type: 'Agent', id: agent },
      action: { type: 'Action', id: tool },
      resource: { type: 'Tool', id: tool },
      context,
      preparsedPolicySetId: id,
      entities: [],
    });
  }
  const nRules = agents.reduce((s, a) => s + a.rules.length, 0);
  void byId;
  return { n: nRules, source, agents: agents.map((a) => a.id), calls, cedarSlices, cedarCalls, cedarDefers };
}
