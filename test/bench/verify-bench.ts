// Pack verification benchmark: a ~1,000-rule-sized body (300 KB of random
// bytes stands in for the real body) signed by two keys (Ed25519 + P-256),
// verified with verifyPack (container + DSSE + manifest + 2 signatures +
// body SHA-256 + rollback check). Target (DESIGN §9): ≤ 5 ms.
import { generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSignedPack } from '@fms/compiler/sign';
import { generateKeyFile, localEd25519Signer } from '@fms/compiler/sign';
import type { Signer } from '@fms/compiler/sign';
import { normalizeLowS } from '@fms/runtime/crypto';
import { keyIdOf } from '@fms/runtime/crypto';
import { MemoryRollbackStore, parseTrustRoots, verifyPack } from '@fms/runtime';

const BODY_BYTES = 300 * 1024;
const RUNS = 300;

function p256Signer(): Signer {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
  return {
    algorithm: 'ecdsa-p256-sha256',
    publicKeySpki: spki,
    keyId: keyIdOf(spki),
    description: 'bench p-256',
    async sign(m) {
      return normalizeLowS(new Uint8Array(nodeSign('sha256', m, { key: privateKey, dsaEncoding: 'ieee-p1363' })));
    },
  };
}

/** Times verifyPack on a 300 KB two-signature pack; returns table rows. */
export async function benchVerify(): Promise<{ name: string; value: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), 'fms-bench-'));
  try {
    generateKeyFile(join(dir, 'k.pem'));
    const signers = [localEd25519Signer(join(dir, 'k.pem')), p256Signer()];
    const now = new Date();
    const pack = await createSignedPack({
      body: new Uint8Array(randomBytes(BODY_BYTES)),
      name: 'bench/pack',
      serial: 1,
      createdAt: new Date(now.getTime() - 60_000),
      sourceSha256: '0'.repeat(64),
      signer: signers,
    });
    const trust = parseTrustRoots({
      version: 1,
      keys: signers.map((s) => ({ id: s.keyId, algorithm: s.algorithm, public_key: Buffer.from(s.publicKeySpki).toString('base64') })),
      scopes: [{ prefix: 'bench', keys: signers.map((s) => s.keyId), threshold: 2 }],
    });
    const state = new MemoryRollbackStore();
    for (let i = 0; i < 30; i++) verifyPack(pack, { trust, state, now });
    const times: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = process.hrtime.bigint();
      verifyPack(pack, { trust, state, now });
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    const q = (p: number): number => times[Math.min(times.length - 1, Math.floor(p * times.length))] as number;
    return [
      { name: `pack verify, ${Math.round(pack.length / 1024)} KB, ed25519 + p-256 (median)`, value: `${q(0.5).toFixed(3)} ms` },
      { name: 'pack verify (p99)', value: `${q(0.99).toFixed(3)} ms` },
      { name: 'pack verify target', value: '≤ 5 ms' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchVerify()) console.log(`${r.name.padEnd(60)} ${r.value}`);
}
