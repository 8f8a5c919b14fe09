import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { DiagnosticSink } from '../diagnostics/diagnostic';
import type { Agent, HostLists, Import, Policy } from './types';

ed.hashes.sha512 = sha512;

/** What a resolver found for one import (read from the local registry folder by the CLI). */
export interface ImportArtifact {
  /** Where it was read from, for messages. */
  file: string;
  bytes: Uint8Array;
  /** Hex SHA-256 of `bytes`. */
  sha256: string;
  /** Detached Ed25519 signature over `bytes`, when the registry has one. */
  signature?: Uint8Array;
  /** The SHA-256 recorded for this ref in the lockfile, if any. */
  lockedSha256?: string;
}

export type ImportResolver = (imp: Import) => ImportArtifact | { error: string };

/** Does a trust scope cover a ref (`host/path`), on `/` segment boundaries? */
export function scopeCovers(scope: string, target: string): boolean {
  const s = scope.replace(/\/+$/, '');
  return target === s || target.startsWith(s + '/');
}

/**
 * Resolves, pins and verifies the imports of `ir`, then lowers each artifact
 * with `lowerArtifact` (its file name is the import ref, so its rules answer
 * with `rule_ref` = `host/path@version:LINE`) and merges its agents:
 * - an agent the stack does not declare is added whole;
 * - an agent the stack declares gets the imported rules after its own, then the
 *   imported rate limits, budgets and redactions; an imported egress,
 *   model_policy or enforcement (kernel fence) applies when the stack's agent has none. Anything that cannot
 *   be merged without dropping or weakening part of either side (phases, a
 *   different default or model, a second egress, model_policy or enforcement, a budget id
 *   declared on both sides) is an error, FMS2034: nothing is dropped silently.
 */
export function resolveImports(
  ir: Policy,
  resolve: ImportResolver,
  sink: DiagnosticSink,
  lowerArtifact: (text: string, file: string) => { ir: Policy; errors: string[] },
): void {
  for (const imp of ir.imports) {
    const span = imp.loc.span;
    const found = resolve(imp);
    if ('error' in found) {
      sink.accept({ code: 'FMS2022', severity: 'error', message: `cannot resolve import \`${imp.ref}\`: ${found.error}`, span, help: 'imports resolve offline from the registry folder (`--registry DIR` or `FMS_REGISTRY`, default `.fms/registry/`)' });
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
      const ok =
        !!sig &&
        sig.length === 64 &&
        keys.some((k) => {
          try {
            return k.algorithm === 'ed25519' && ed.verify(sig, found.bytes, Buffer.from(k.key, 'base64'));
          } catch {
            return false;
          }
        });
      if (!ok) {
        sink.accept({
          code: 'FMS2024',
          severity: 'error',
          message: sig ? `the signature of import \`${imp.ref}\` does not verify with the trusted key for \`${keys[0]!.scope}\`` : `import \`${imp.ref}\` is not signed, but \`trust {}\` pins a key for \`${keys[0]!.scope}\``,
          span,
          related: [{ message: 'trusted key', file: sink.file, span: keys[0]!.loc.span }],
        });
        continue;
      }
    }
    imp.sha256 = found.sha256;
    const text = Buffer.from(found.bytes).toString('utf8');
    const sub = lowerArtifact(text, imp.ref);
    if (sub.errors.length) {
      sink.accept({ code: 'FMS2022', severity: 'error', message: `import \`${imp.ref}\` does not compile: ${sub.errors[0]}`, span });
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
    for (const agent of sub.ir.agents) {
      const mine = ir.agents.find((a) => a.id === agent.id);
      if (!mine) {
        ir.agents.push(agent);
        continue;
      }
      const conflict = mergeConflict(mine, agent);
      if (conflict) {
        sink.accept({
          code: 'FMS2034',
          severity: 'error',
          message: `import \`${imp.ref}\` cannot be merged into agent \`${mine.id}\`: ${conflict}`,
          span,
          related: [{ message: `the stack's agent \`${mine.id}\``, file: sink.file, span: mine.loc.span }],
          help: 'an imported agent adds rules, rate limits, budgets and redactions to the agent of the same name; settings both sides declare must be declared once, in the stack',
        });
        continue;
      }
      for (const r of agent.rules) mine.rules.push({ ...r, index: mine.rules.length });
      mine.rateLimits.push(...agent.rateLimits);
      mine.budgets.push(...agent.budgets);
      mine.redactions.push(...agent.redactions);
      if (agent.egress) mine.egress = agent.egress;
      if (agent.modelPolicy) mine.modelPolicy = agent.modelPolicy;
      if (agent.enforcement && !mine.enforcement) mine.enforcement = agent.enforcement;
    }
  }
}

const sameLists = (a: HostLists, b: HostLists): boolean => a.allow.join('\n') === b.allow.join('\n') && a.deny.join('\n') === b.deny.join('\n');

/** Do two agents declare the same kernel fence (source locations aside)? */
const sameFence = (a: Agent, b: Agent): boolean => JSON.stringify({ ...a.enforcement, loc: null }) === JSON.stringify({ ...b.enforcement, loc: null });

/** Why an imported agent cannot be merged into the stack's agent of the same id (undefined: it can). */
function mergeConflict(mine: Agent, theirs: Agent): string | undefined {
  if (theirs.phases.length > 0) return 'the imported agent declares phases (a stack agent has one phase machine, declared in the stack)';
  if (theirs.defaultDeclared && mine.defaultDeclared && theirs.default !== mine.default) return `the imported agent's default is \`${theirs.default}\`, the stack's is \`${mine.default}\``;
  if (theirs.defaultDeclared && !mine.defaultDeclared) return `the imported agent declares \`default ${theirs.default}\`; declare the default in the stack`;
  if (theirs.model !== undefined && mine.model !== undefined && theirs.model !== mine.model) return `the imported agent's model is \`${theirs.model}\`, the stack's is \`${mine.model}\``;
  if (theirs.egress && mine.egress && !sameLists(theirs.egress, mine.egress)) return 'both declare an `egress` block';
  if (theirs.modelPolicy && mine.modelPolicy && !sameLists(theirs.modelPolicy, mine.modelPolicy)) return 'both declare a `model_policy` block';
  if (theirs.enforcement && mine.enforcement && !sameFence(theirs, mine)) return 'both declare an `enforcement` block';
  const ids = new Set(mine.budgets.map((b) => b.id));
  const dup = theirs.budgets.find((b) => ids.has(b.id));
  if (dup) return `both declare \`budget ${dup.id}\``;
  return undefined;
}
