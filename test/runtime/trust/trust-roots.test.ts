import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { loadTrustRoots, PackRefusal, parseTrustRoots, scopeFor } from '../../../runtime/src/trust/verify';
import { ed25519Key, p256Key, tempDir, trustJson } from './fixtures';

const dir = tempDir();
const A = ed25519Key(dir, 'a');
const B = ed25519Key(dir, 'b');
const P = p256Key().signer;

function refusedWith(json: unknown, re: RegExp): void {
  try {
    parseTrustRoots(json);
  } catch (e) {
    assert.instance(e, PackRefusal);
    assert.is((e as PackRefusal).code, 'trust-file');
    assert.match((e as Error).message, re);
    assert.not.match((e as Error).message, /\n/);
    return;
  }
  assert.unreachable(`expected refusal matching ${re}`);
}

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

test('a valid file parses; key ids and algorithms come from the key material', () => {
  const t = parseTrustRoots(JSON.stringify(trustJson([A, P])));
  assert.is(t.keys.size, 2);
  assert.is(t.keys.get(A.keyId)?.algorithm, 'ed25519');
  assert.is(t.keys.get(P.keyId)?.algorithm, 'ecdsa-p256-sha256');
});

test('pem public keys are accepted and canonicalised (compressed p-256 point has the same id)', () => {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = publicKey.export({ format: 'pem', type: 'spki' }) as string;
  const id = 'sha256:' + createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('hex');
  const t = parseTrustRoots({ version: 1, keys: [{ id, algorithm: 'ecdsa-p256-sha256', public_key: pem }], scopes: [{ prefix: '*', keys: [id], threshold: 1 }] });
  assert.ok(t.keys.has(id));
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  const compressed = Buffer.concat([Buffer.from('3039301306072a8648ce3d020106082a8648ce3d030107032200', 'hex'), Buffer.from([2 + (y[31]! & 1)]), x]);
  const t2 = parseTrustRoots({ version: 1, keys: [{ id, algorithm: 'ecdsa-p256-sha256', public_key: compressed.toString('base64') }], scopes: [{ prefix: '*', keys: [id], threshold: 1 }] });
  assert.ok(t2.keys.has(id));
});

test('refused: key id that does not match the key material', () => {
  const t = clone(trustJson([A])) as { keys: { id: string }[]; scopes: { keys: string[] }[] };
  t.keys[0]!.id = B.keyId;
  t.scopes[0]!.keys = [B.keyId];
  refusedWith(t, /does not match its key material/);
});

test('refused: the same key twice', () => {
  const t = clone(trustJson([A])) as { keys: unknown[] };
  t.keys.push(t.keys[0]);
  refusedWith(t, /listed twice/);
});

test('refused: malformed structure, unknown fields, bad thresholds and scopes', () => {
  refusedWith('not json', /not json/);
  refusedWith({ ...trustJson([A]), version: 2 }, /version/);
  refusedWith({ ...trustJson([A]), extra: 1 }, /unknown field `extra`/);
  const typo = clone(trustJson([A])) as { scopes: Record<string, unknown>[] };
  typo.scopes[0]!.treshold = 1;
  refusedWith(typo, /unknown field `treshold`/);
  refusedWith(trustJson([A], [{ prefix: '*', threshold: 2 }]), /threshold must be an integer from 1 to 1/);
  refusedWith(trustJson([A], [{ prefix: '*', threshold: 0 }]), /threshold/);
  refusedWith(trustJson([A], [{ prefix: 'acme//x' }]), /prefix/);
  refusedWith(trustJson([A], [{ prefix: 'acme' }, { prefix: 'acme' }]), /listed twice/);
  refusedWith(trustJson([A], [{ prefix: '*', keys: [A, A], threshold: 2 }]), /lists key .* twice/);
  refusedWith(trustJson([A], [{ prefix: '*', keys: [B] }]), /not in `keys`/);
  refusedWith(trustJson([A], [{ prefix: '*', min_serial: -1 }]), /min_serial/);
  refusedWith({ ...trustJson([A]), revoked: ['nope'] }, /revoked/);
  const badKey = clone(trustJson([A])) as { keys: { public_key: string }[] };
  badKey.keys[0]!.public_key = 'AAAA';
  refusedWith(badKey, /keys\[0\]/);
  const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' });
  const rsaT = clone(trustJson([A])) as { keys: { public_key: string }[] };
  rsaT.keys[0]!.public_key = rsa.toString('base64');
  refusedWith(rsaT, /unsupported public key type `rsa`/);
});

test('scope matching is on whole segments; most specific wins; `*` last', () => {
  const t = parseTrustRoots(trustJson([A, B], [{ prefix: '*', keys: [A] }, { prefix: 'acme', keys: [A] }, { prefix: 'acme/pay', keys: [B] }]));
  assert.is(scopeFor(t, 'acme/pay')?.prefix, 'acme/pay');
  assert.is(scopeFor(t, 'acme/pay/eu')?.prefix, 'acme/pay');
  assert.is(scopeFor(t, 'acme/payments')?.prefix, 'acme');
  assert.is(scopeFor(t, 'acmecorp/x')?.prefix, '*');
  const noStar = parseTrustRoots(trustJson([A], [{ prefix: 'acme/pay' }]));
  assert.is(scopeFor(noStar, 'acme/payments'), undefined);
  assert.is(scopeFor(noStar, 'acme'), undefined);
});

test('loadTrustRoots reads a file; a missing file is an i/o error, not a refusal', () => {
  const f = join(dir, 'trust.json');
  writeFileSync(f, JSON.stringify(trustJson([A])));
  assert.is(loadTrustRoots(f).keys.size, 1);
  try {
    loadTrustRoots(join(dir, 'missing.json'));
    assert.unreachable();
  } catch (e) {
    assert.not.instance(e, PackRefusal);
    assert.match((e as Error).message, /no such file/);
  }
});

test.run();
