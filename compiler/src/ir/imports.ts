import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { DiagnosticSink } from '../diagnostics/diagnostic';
import type { Import, Policy } from './types';

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
 * with `lowerArtifact` and merges its agents: a new agent id is added, an
 * existing one gets the imported rules after its own.
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
    const sub = lowerArtifact(text, found.file);
    if (sub.errors.length) {
      sink.accept({ code: 'FMS2022', severity: 'error', message: `import \`${imp.ref}\` does not compile: ${sub.errors[0]}`, span });
      continue;
    }
    for (const agent of sub.ir.agents) {
      const mine = ir.agents.find((a) => a.id === agent.id);
      if (!mine) {
        ir.agents.push(agent);
        continue;
      }
      for (const r of agent.rules) mine.rules.push({ ...r, index: mine.rules.length });
    }
  }
}
