// Shared set-up for the package tests: a registry folder, a stack, a deterministic publisher key.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { registryResolver } from '../../../compiler/src/cli/registry';
import { compile, type CompileResult } from '../../../compiler/src/compile';
import { ed25519Spki, keyIdOf } from '@fms/runtime/crypto';
import type { Signer } from '../../../compiler/src/sign/signer';
import { packageSignatureFileText, signPackageStatement } from '../../../compiler/src/sign/package-statement';

ed.hashes.sha512 = sha512;

/** A publisher key from a fixed seed (tests only). */
export function seedSigner(fill: number): Signer & { raw: Uint8Array; seed: Uint8Array; b64: string } {
  const seed = new Uint8Array(32).fill(fill);
  const raw = ed.getPublicKey(seed);
  const spki = ed25519Spki(raw);
  return {
    algorithm: 'ed25519',
    publicKeySpki: spki,
    keyId: keyIdOf(spki),
    description: `test key ${fill}`,
    raw,
    seed,
    b64: Buffer.from(raw).toString('base64'),
    async sign(m: Uint8Array) {
      return ed.sign(m, seed);
    },
  };
}

export const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

/** A temp stack: `files` are written relative to it (registry files under `registry/`). */
export function stack(files: Record<string, string | Uint8Array>): { dir: string; src: string; registry: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fms-package-'));
  for (const [rel, text] of Object.entries(files)) {
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  return { dir, src: join(dir, 'governance.fms'), registry: join(dir, 'registry') };
}

/** Compiles `text` as the stack's governance.fms against its registry. */
export function compileStack(s: { src: string; registry: string }, text: string, opts: { env?: Record<string, string | undefined>; allowUnsetEnv?: boolean } = {}): CompileResult {
  writeFileSync(s.src, text);
  return compile(text, 'governance.fms', { ...opts, resolveImport: registryResolver(s.registry, s.src) });
}

/** Codes of the errors of a compile result. */
export const errorCodes = (r: CompileResult): string[] => r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code);

/** The `.sig` file text of a package statement (ref, version, content digest) signed by `signer`. */
export async function packageSigFile(ref: string, version: string, content: string, signer: Signer): Promise<string> {
  return packageSignatureFileText(await signPackageStatement({ ref, version, sha256: sha256(content) }, signer));
}
