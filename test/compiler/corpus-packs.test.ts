/**
 * Every corpus policy that checks without errors also builds into a signed
 * pack that the runtime verifies against a pinned key, loads, and asks a
 * question of (issue acceptance: "builds into a pack that loads and verifies").
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as assert from 'uvu/assert';
import { compile } from '../../compiler/src/compile';
import { emitPackBody } from '../../compiler/src/emit/emit-body';
import { createSignedPack } from '../../compiler/src/sign/create-pack';
import { generateKeyFile, localEd25519Signer } from '../../compiler/src/sign/local-key';
import { loadPack, MemoryRollbackStore, parseTrustRoots } from '@fms/runtime';
import { corpusSuite, walk } from '../helpers/paths';

const { dir: CORPUS, test } = corpusSuite('corpus-packs.test.ts');

test('every corpus policy that checks cleanly builds, signs, verifies, loads and decides', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-corpus-packs-'));
  generateKeyFile(join(dir, 'k.pem'));
  const signer = localEd25519Signer(join(dir, 'k.pem'));
  const trust = parseTrustRoots({
    version: 1,
    keys: [{ id: signer.keyId, algorithm: signer.algorithm, public_key: Buffer.from(signer.publicKeySpki).toString('base64') }],
    scopes: [{ prefix: 'corpus', keys: [signer.keyId], threshold: 1 }],
  });
  const files = walk(CORPUS).filter((f) => /\.(fpl|fms)$/.test(f) && !f.includes('/fragments/') && !f.includes('conformance/invalid/'));
  let built = 0;
  let serial = 1;
  for (const f of files) {
    const rel = relative(CORPUS, f);
    // A pack never carries an unset env() value: give every variable the policy reads one.
    const text = readFileSync(f, 'utf8');
    const env = Object.fromEntries([...text.matchAll(/env\(\s*"([^"]+)"\s*\)/g)].map((m) => [m[1]!, 'corpus-value']));
    const r = compile(text, rel.split('/').pop()!, { env });
    if (!r.ir || r.diagnostics.some((d) => d.severity === 'error')) continue;
    const body = emitPackBody(r.ir);
    const bytes = await createSignedPack({ body, name: 'corpus/policy', serial: serial++, createdAt: new Date(Date.now() - 60_000), sourceSha256: '0'.repeat(64), signer });
    const { pack } = loadPack(bytes, { trust, rollback: new MemoryRollbackStore() });
    const ids = pack.agentIds();
    assert.equal(ids, r.ir.agents.map((a) => a.id), rel);
    for (const id of ids) {
      const d = pack.decide({ agent: id, tool: 'corpus/probe', args: {} });
      assert.ok(['permit', 'defer', 'deny'].includes(d.effect), `${rel}: ${JSON.stringify(d)}`);
    }
    built++;
  }
  // 155 today: every faramesh-core and fpl-lang policy and the documentation blocks that are whole stacks.
  assert.ok(built >= 150, `only ${built} corpus policies built`);
});

test.run();
