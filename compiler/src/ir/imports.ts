import type { Diagnostic, DiagnosticSink } from '../diagnostics/diagnostic';
import { trustKeyBytes, verifyPackageSignature } from '../sign/package-statement';
import type { Agent, Effect, HostLists, Import, Policy, Rule } from './types';

/** What a resolver found for one import (read from the local registry folder by the CLI). */
export interface ImportArtifact {
  /** Where it was read from, for messages. */
  file: string;
  bytes: Uint8Array;
  /** Hex SHA-256 of `bytes`. */
  sha256: string;
  /**
   * The decoded registry `….fms.sig` file, when there is one: a DSSE envelope
   * (`application/vnd.fms.package.v1+json`) over `{ref, version, sha256}`,
   * made by `fmsc sign-package`.
   */
  signature?: Uint8Array;
  /** The SHA-256 recorded for this ref in the lockfile, if any. */
  lockedSha256?: string;
}

/** A resolver's refusal is FMS2022 unless it names its own code (FMS2070–FMS2075: canonical refs, registry files, lockfile). */
export type ImportResolver = (imp: Import) => ImportArtifact | { error: string; code?: string; help?: string };

/** Does a trust scope cover a ref (`host/path`), on `/` segment boundaries? */
export function scopeCovers(scope: string, target: string): boolean {
  const s = scope.replace(/\/+$/, '');
  return target === s || target.startsWith(s + '/');
}

/** What the front end hands {@link resolveImports} besides the resolver. */
export interface ImportContext {
  /** Lowers a package's text on its own (no environment, no imports); `file` is the import ref. */
  lowerArtifact: (text: string, file: string) => { ir: Policy; errors: string[]; diagnostics?: Diagnostic[] };
  /** The stack's flat rules, lowered for an agent a package adds (they reach every agent). */
  stackFlatRules?: () => Rule[];
}

/** Effects from the most to the least restrictive. */
const STRICTNESS: Record<Effect, number> = { deny: 0, defer: 1, permit: 2 };

/**
 * Resolves, pins and verifies the imports of `ir`, then lowers each package on
 * its own (its rules answer with `rule_ref` = `host/path@version:LINE`) and
 * merges it under the rule "a package narrows freely, widens only with
 * `with widen`" (README, "What a package may change"):
 * - its `deny`/`deny!` rules go before the stack agent's rules, its `defer`
 *   and `permit` rules after them; its rate limits, budgets and redactions
 *   are added; its egress/model_policy and kernel fence (`enforcement`) apply where the stack has none; a
 *   stricter `default` replaces the stack's;
 * - a package made of flat rules applies to every agent of the stack;
 * - widening (a `permit`, a `defer` on a `default deny` agent, a wider
 *   `default`, a new agent) is FMS2083 unless the import line says
 *   `with widen`; a new agent also gets the stack's flat rules;
 * - anything that cannot be merged without being dropped (phases, another
 *   model, framework or version, a second egress/model_policy, a budget both
 *   declare, other blocks, delegations, top-level blocks) is FMS2034.
 */
export function resolveImports(ir: Policy, resolve: ImportResolver, sink: DiagnosticSink, ctx: ImportContext): void {
  for (const imp of ir.imports) {
    const span = imp.loc.span;
    const found = resolve(imp);
    if ('error' in found) {
      sink.accept({ code: found.code ?? 'FMS2022', severity: 'error', message: `cannot resolve import \`${imp.ref}\`: ${found.error}`, span, help: found.help ?? 'imports resolve offline from the registry folder (`--registry DIR` or `FMS_REGISTRY`, default `.fms/registry/`)' });
      continue;
    }
    if (found.lockedSha256 && found.lockedSha256 !== found.sha256) {
      sink.accept({
        code: 'FMS2023',
        severity: 'error',
        message: `import \`${imp.ref}\` changed: the lockfile pins sha256 ${found.lockedSha256.slice(0, 16)}…, the registry has ${found.sha256.slice(0, 16)}…`,
        span,
        help: 'a published version must never change; if you trust the new content, delete its line from the lockfile and build again',
      });
      continue;
    }
    const target = `${imp.host}/${imp.path}`;
    const keys = ir.trust.filter((k) => scopeCovers(k.scope, target) || scopeCovers(k.scope, imp.host));
    if (keys.length) {
      const sig = found.signature;
      const pinned = keys.flatMap((k) => {
        const raw = k.algorithm === 'ed25519' ? trustKeyBytes(k.key) : undefined;
        return raw ? [{ raw }] : [];
      });
      const check = sig ? verifyPackageSignature(sig, { ref: target, version: imp.version, sha256: found.sha256 }, pinned) : undefined;
      if (!check?.ok) {
        const related = [{ message: 'trusted key', file: sink.file, span: keys[0]!.loc.span }];
        if (check && check.kind !== 'unverified') {
          sink.accept({ code: 'FMS2082', severity: 'error', message: `the signature of import \`${imp.ref}\` does not cover it: ${check.reason}`, span, related, help: 'a package signature names the ref, version and content it signs; ask the publisher for the signature of this exact version (`fmsc sign-package`)' });
        } else {
          sink.accept({
            code: 'FMS2024',
            severity: 'error',
            message: sig ? `the signature of import \`${imp.ref}\` does not verify with the trusted key for \`${keys[0]!.scope}\`${check ? ` (${check.reason})` : ''}` : `import \`${imp.ref}\` is not signed, but \`trust {}\` pins a key for \`${keys[0]!.scope}\``,
            span,
            related,
          });
        }
        continue;
      }
    }
    imp.sha256 = found.sha256;
    const text = Buffer.from(found.bytes).toString('utf8');
    const sub = ctx.lowerArtifact(text, imp.ref);
    if (sub.errors.length) {
      const envRead = sub.diagnostics?.find((d) => d.code === 'FMS2081' && d.severity === 'error');
      if (envRead) sink.accept({ code: 'FMS2081', severity: 'error', message: envRead.message, span, help: 'a package is the same for every stack that imports it; the stack passes values in its own rules, not through the builder\'s environment' });
      else sink.accept({ code: 'FMS2022', severity: 'error', message: `import \`${imp.ref}\` does not compile: ${sub.errors[0]}`, span });
      continue;
    }
    if (sub.ir.imports.length > 0) {
      const nested = sub.ir.imports[0]!.ref;
      sink.accept({
        code: 'FMS2022',
        severity: 'error',
        message: `import \`${imp.ref}\` itself imports \`${nested}\`: packages that import packages are not supported`,
        span,
        help: `import \`${nested}\` in this stack as well (agents merge by name, so the effect is the same), and ask the publisher for a self-contained package`,
      });
      continue;
    }
    const merger = new PackageMerger(ir, imp, sink, ctx);
    const top = topLevelContent(sub.ir);
    if (top) {
      merger.conflict(top);
      continue;
    }
    const flat = sub.ir.agents.length === 1 && sub.ir.agents[0]!.implicit ? sub.ir.agents[0]! : undefined;
    if (flat) {
      if (ir.agents.length === 0) {
        merger.conflict('its rules are flat rules, which apply to the agents of the importing stack, and this stack declares none');
        continue;
      }
      for (const mine of [...ir.agents]) merger.mergeInto(mine, flat);
      continue;
    }
    for (const agent of sub.ir.agents) {
      const mine = ir.agents.find((a) => a.id === agent.id);
      if (mine) merger.mergeInto(mine, agent);
      else merger.add(agent);
    }
  }
}

/** What a package declares at its top level that a merge would drop, or undefined. */
function topLevelContent(p: Policy): string | undefined {
  const runtime = Object.keys(p.runtime);
  if (runtime.length) return `it declares \`runtime\` settings (\`${runtime[0]}\`), which belong to the stack`;
  if (p.trust.length) return 'it declares `trust {}` keys, which belong to the stack';
  const b = p.blocks[0];
  if (b) return `it declares a top-level \`${b.kind}\` block, which belongs to the stack`;
  return undefined;
}

/** Applies one package to the stack's agents and reports what it may not do. */
class PackageMerger {
  constructor(
    private readonly ir: Policy,
    private readonly imp: Import,
    private readonly sink: DiagnosticSink,
    private readonly ctx: ImportContext,
  ) {}

  /** FMS2034: the package cannot be merged without dropping something. */
  conflict(why: string, mine?: Agent): void {
    const d: Parameters<DiagnosticSink['accept']>[0] = {
      code: 'FMS2034',
      severity: 'error',
      message: mine ? `import \`${this.imp.ref}\` cannot be merged into agent \`${mine.id}\`: ${why}` : `import \`${this.imp.ref}\` cannot be merged: ${why}`,
      span: this.imp.loc.span,
      help: 'a package adds rules, rate limits, budgets and redactions to the stack\'s agents; settings and blocks are declared once, in the stack (nothing of a package is dropped silently)',
    };
    if (mine) d.related = [{ message: `the stack's agent \`${mine.id}\``, file: this.sink.file, span: mine.loc.span }];
    this.sink.accept(d);
  }

  /** FMS2083 unless the import line opted in; true when the widening may go ahead. */
  private widens(what: string, agentId: string): boolean {
    if (this.imp.widen) return true;
    this.sink.accept({
      code: 'FMS2083',
      severity: 'error',
      message: `import \`${this.imp.ref}\` widens what agent \`${agentId}\` may do: ${what}`,
      span: this.imp.loc.span,
      help: `a package may add denies, defers, limits, budgets and redactions; to let it permit more, opt in on the import line: \`import "${this.imp.ref}"${this.imp.alias ? ` as ${this.imp.alias}` : ''} with widen\``,
    });
    return false;
  }

  /** A package agent the stack does not declare: widening, added whole (with the stack's flat rules) only under `with widen`. */
  add(agent: Agent): void {
    if (!this.widens(`it adds agent \`${agent.id}\` (default \`${agent.default}\`), which the stack does not declare`, agent.id)) return;
    const flat = this.ctx.stackFlatRules?.() ?? [];
    agent.rules.push(...flat);
    agent.rules.forEach((r, i) => (r.index = i));
    this.ir.agents.push(agent);
  }

  /** Merges a package agent (or a flat-rule package) into the stack's agent `mine`. */
  mergeInto(mine: Agent, theirs: Agent): void {
    const why = mergeConflict(mine, theirs);
    if (why) {
      this.conflict(why, mine);
      return;
    }
    const rule = (r: Rule) => `\`${r.text.length > 60 ? r.text.slice(0, 60) + '…' : r.text}\` (${r.loc.file}:${r.loc.line})`;
    const permit = theirs.rules.find((r) => r.effect === 'permit');
    if (permit && !this.widens(`${rule(permit)} permits calls the stack does not`, mine.id)) return;
    const defer = mine.default === 'deny' ? theirs.rules.find((r) => r.effect === 'defer') : undefined;
    if (defer && !this.widens(`${rule(defer)} would defer calls that \`default deny\` denies`, mine.id)) return;
    const wider = theirs.defaultDeclared && STRICTNESS[theirs.default] > STRICTNESS[mine.default];
    if (wider && !this.widens(`its \`default ${theirs.default}\` is wider than the stack's \`default ${mine.default}\``, mine.id)) return;
    // Denies first: they narrow whatever the stack's rules say. Defers and permits after:
    // they only decide calls the stack's rules leave to the default.
    const copy = (r: Rule): Rule => ({ ...r });
    const before = theirs.rules.filter((r) => r.effect === 'deny').map(copy);
    const after = theirs.rules.filter((r) => r.effect !== 'deny').map(copy);
    mine.rules = [...before, ...mine.rules, ...after];
    mine.rules.forEach((r, i) => (r.index = i));
    if (theirs.defaultDeclared && (wider || STRICTNESS[theirs.default] < STRICTNESS[mine.default] || !mine.defaultDeclared)) {
      mine.default = theirs.default;
      mine.defaultDeclared = true;
    }
    mine.rateLimits.push(...theirs.rateLimits);
    mine.budgets.push(...theirs.budgets);
    mine.redactions.push(...theirs.redactions);
    if (theirs.egress) mine.egress = theirs.egress;
    if (theirs.modelPolicy) mine.modelPolicy = theirs.modelPolicy;
    if (theirs.enforcement && !mine.enforcement) mine.enforcement = theirs.enforcement;
  }
}

const sameLists = (a: HostLists, b: HostLists): boolean => a.allow.join('\n') === b.allow.join('\n') && a.deny.join('\n') === b.deny.join('\n');

/** Do two agents declare the same kernel fence (source locations aside)? */
const sameFence = (a: Agent, b: Agent): boolean => JSON.stringify({ ...a.enforcement, loc: null }) === JSON.stringify({ ...b.enforcement, loc: null });

/** Why a package agent cannot be merged into the stack's agent without dropping part of it (undefined: it can). */
function mergeConflict(mine: Agent, theirs: Agent): string | undefined {
  if (theirs.phases.length > 0) return 'the imported agent declares phases (a stack agent has one phase machine, declared in the stack)';
  for (const k of ['model', 'framework', 'version'] as const) {
    const t = theirs[k];
    if (t !== undefined && t !== mine[k]) return mine[k] === undefined ? `the imported agent declares \`${k} ${t}\`; declare it in the stack` : `the imported agent's ${k} is \`${t}\`, the stack's is \`${mine[k]}\``;
  }
  if (theirs.egress && mine.egress && !sameLists(theirs.egress, mine.egress)) return 'both declare an `egress` block';
  if (theirs.modelPolicy && mine.modelPolicy && !sameLists(theirs.modelPolicy, mine.modelPolicy)) return 'both declare a `model_policy` block';
  if (theirs.enforcement && mine.enforcement && !sameFence(theirs, mine)) return 'both declare an `enforcement` block';
  const ids = new Set(mine.budgets.map((b) => b.id));
  const dup = theirs.budgets.find((b) => ids.has(b.id));
  if (dup) return `both declare \`budget ${dup.id}\``;
  const block = theirs.blocks.find((b) => b.kind !== 'use' && b.kind !== 'enforcement');
  if (block) return `the imported agent declares a \`${block.kind}\` block, which only the stack's agent can declare`;
  if (theirs.delegations.length) return 'the imported agent declares `delegate`, which only the stack\'s agent can declare';
  return undefined;
}
