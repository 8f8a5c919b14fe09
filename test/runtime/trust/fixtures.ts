// Shared fixtures for the trust tests: in-memory signers and trust files.
import { generateKeyPairSync, sign as nodeSign, createHash, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyIdOf } from '../../../runtime/src/crypto/keys';
import { normalizeLowS } from '../../../runtime/src/crypto/ecdsa';
import { createSignedPack } from '@fms/compiler/sign';
import { generateKeyFile, localEd25519Signer } from '@fms/compiler/sign';
import type { Signer } from '@fms/compiler/sign';
import { parseTrustRoots, type TrustRoots } from '../../../runtime/src/trust/verify';

export interface TestKey {
  signer: Signer;
  privateKey?: KeyObject;
}

/** A temp directory for one test file. */
export function tempDir(prefix = 'fms-trust-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** An Ed25519 signer backed by a real key file and @noble/ed25519 (the production path). */
export function ed25519Key(dir: string, name: string): Signer {
  const f = join(dir, `${name}.pem`);
  generateKeyFile(f);
  return localEd25519Signer(f);
}

/** A P-256 signer backed by node:crypto (stands in for an HSM in pure-logic tests). */
export function p256Key(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return {
    privateKey,
    signer: {
      algorithm: 'ecdsa-p256-sha256',
      publicKeySpki: spki,
      keyId: keyIdOf(spki),
      description: 'test p-256 key',
      async sign(m) {
        return normalizeLowS(new Uint8Array(nodeSign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' })));
      },
    },
  };
}

/** A trust file JSON object pinning `signers` for `prefix`. */
export function trustJson(
  signers: Signer[],
  scopes: { prefix: string; keys?: Signer[]; threshold?: number; min_serial?: number }[] = [{ prefix: '*' }],
  revoked: string[] = [],
): Record<string, unknown> {
  return {
    version: 1,
    keys: signers.map((s) => ({ id: s.keyId, algorithm: s.algorithm, public_key: Buffer.from(s.publicKeySpki).toString('base64') })),
    scopes: scopes.map((sc) => ({
      prefix: sc.prefix,
      keys: (sc.keys ?? signers).map((s) => s.keyId),
      threshold: sc.threshold ?? 1,
      ...(sc.min_serial !== undefined ? { min_serial: sc.min_serial } : {}),
    })),
    ...(revoked.length ? { revoked } : {}),
  };
}

/** Parsed trust roots for {@link trustJson}. */
export function trustFor(...args: Parameters<typeof trustJson>): TrustRoots {
  return parseTrustRoots(trustJson(...args));
}

export const NOW = new Date('2025-06-01T00:00:00Z');
export const SOURCE_SHA = createHash('sha256').update('governance.fms').digest('hex');

/** A small signed pack valid at {@link NOW}. */
export async function makePack(
  signer: Signer | Signer[],
  o: { name?: string; serial?: number; body?: Uint8Array; notBefore?: Date; expiresAt?: Date; createdAt?: Date } = {},
): Promise<Uint8Array> {
  const createdAt = o.createdAt ?? new Date('2025-05-01T00:00:00Z');
  return createSignedPack({
    body: o.body ?? new TextEncoder().encode('body-v1'),
    name: o.name ?? 'acme/payments',
    serial: o.serial ?? 1,
    createdAt,
    ...(o.notBefore ? { notBefore: o.notBefore } : {}),
    ...(o.expiresAt ? { expiresAt: o.expiresAt } : {}),
    sourceSha256: SOURCE_SHA,
    signer,
  });
}
