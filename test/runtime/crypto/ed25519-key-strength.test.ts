/**
 * Weak Ed25519 keys (issue 18, class 3): small-order, mixed-order and
 * non-canonical public keys are refused wherever a key is pinned, because
 * with them one fixed signature verifies for any content.
 */
import { createHash, createPublicKey, randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { assertStrongEd25519Key, ed25519KeyWeakness } from '../../../runtime/src/crypto/ed25519-key-strength';
import { ed25519KeyClassBigInt } from '../../../runtime/src/crypto/ed25519-key-strength-bigint';
import { ed25519KeyClassWasm, ed25519Wasm } from '../../../runtime/src/crypto/ed25519-wasm';
import { ROOT } from '../../helpers/paths';
import { ed25519Spki, keyIdOf, parsePublicKey } from '../../../runtime/src/crypto/keys';
import { verifySignature } from '../../../runtime/src/crypto/verify-signature';
import { encodeContainer } from '../../../runtime/src/pack/container';
import { encodeEnvelope, MANIFEST_PAYLOAD_TYPE } from '../../../runtime/src/trust/dsse';
import { encodeManifest, formatManifestTime } from '../../../runtime/src/trust/manifest';
import { loadPack, MemoryRollbackStore, PackRefusal, parseTrustRoots } from '../../../runtime/src/index';
import { NON_CANONICAL, TORSION } from '../../helpers/ed25519-weak-keys';

ed.hashes.sha512 = sha512;
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));


test('the 8 small-order points and every non-canonical encoding are weak; real keys are strong', () => {
  for (const h of TORSION) assert.match(ed25519KeyWeakness(hex(h)) ?? '', /small-order/, h);
  for (const h of NON_CANONICAL) assert.match(ed25519KeyWeakness(hex(h)) ?? '', /canonical/, h);
  for (let i = 0; i < 20; i++) assert.is(ed25519KeyWeakness(ed.getPublicKey(new Uint8Array(randomBytes(32)))), undefined);
  assert.match(ed25519KeyWeakness(new Uint8Array(31)) ?? '', /32 bytes/);
  assert.throws(() => assertStrongEd25519Key(hex(TORSION[0]!)), /small-order/);
});

test('mixed-order keys (a real key plus a torsion point) are weak', () => {
  const t = ed.Point.fromHex(TORSION[4]!);
  for (let i = 0; i < 5; i++) {
    const mixed = ed.Point.fromBytes(ed.getPublicKey(new Uint8Array(randomBytes(32)))).add(t).toBytes();
    assert.match(ed25519KeyWeakness(mixed) ?? '', /prime-order subgroup/);
  }
});

test('random 32-byte strings are classified like @noble/ed25519 strict decoding', () => {
  for (let i = 0; i < 300; i++) {
    const raw = new Uint8Array(randomBytes(32));
    let expect: string;
    try {
      const p = ed.Point.fromBytes(raw, false);
      expect = !p.toBytes().every((b, j) => b === raw[j]) ? 'bad' : p.isSmallOrder() ? 'small' : p.isTorsionFree() ? 'ok' : 'mixed';
    } catch {
      expect = 'bad';
    }
    const w = ed25519KeyWeakness(raw);
    const got = w === undefined ? 'ok' : /small/.test(w) ? 'small' : /prime-order/.test(w) ? 'mixed' : 'bad';
    assert.is(got, expect, Buffer.from(raw).toString('hex'));
  }
});

/*
 * Issue 15: the check runs in WebAssembly (BigInt only as the fallback). Each
 * key below is classified three ways that share no code: the WebAssembly
 * module, the BigInt implementation it replaced, and @noble/ed25519 (strict
 * decoding + round trip for canonical, isSmallOrder, isTorsionFree).
 */
type Cls = 'strong' | 'y>=p' | 'bad' | 'small' | 'mixed';
const CLASS_NAMES: readonly Cls[] = ['strong', 'y>=p', 'bad', 'small', 'mixed'];
const P = (1n << 255n) - 19n;
const yOf = (raw: Uint8Array) => BigInt('0x' + Buffer.from(raw).reverse().toString('hex')) & ((1n << 255n) - 1n);
function nobleClass(raw: Uint8Array): Cls {
  if (yOf(raw) >= P) return 'y>=p';
  let p: ed.Point;
  try {
    p = ed.Point.fromBytes(raw, false);
  } catch {
    return 'bad';
  }
  if (!p.toBytes().every((b, j) => b === raw[j])) return 'bad';
  return p.isSmallOrder() ? 'small' : p.isTorsionFree() ? 'strong' : 'mixed';
}
const REASON: Record<Cls, RegExp> = {
  strong: /^$/,
  'y>=p': /^ed25519 public key is not canonically encoded \(y ≥ 2\^255 − 19\)$/,
  bad: /^ed25519 public key is not a canonically encoded curve point$/,
  small: /^ed25519 public key is a small-order point \(it would accept forged signatures\)$/,
  mixed: /^ed25519 public key is not in the prime-order subgroup$/,
};
/** Asserts the three classifiers agree on `raw` (and the refusal text is the one for that class); returns the class. */
function agree(raw: Uint8Array, expect?: Cls): Cls {
  const label = Buffer.from(raw).toString('hex');
  const w = ed25519KeyClassWasm(raw);
  assert.ok(w !== undefined, 'the WebAssembly module answers');
  const cls = CLASS_NAMES[w!]!;
  assert.is(CLASS_NAMES[ed25519KeyClassBigInt(raw)], cls, `BigInt vs WebAssembly: ${label}`);
  assert.is(nobleClass(raw), cls, `@noble/ed25519 vs WebAssembly: ${label}`);
  if (expect) assert.is(cls, expect, label);
  assert.match(ed25519KeyWeakness(raw) ?? '', REASON[cls], label);
  return cls;
}
const withSign = (raw: Uint8Array, sign: number) => {
  const r = raw.slice();
  r[31] = (r[31]! & 0x7f) | (sign << 7);
  return r;
};
const addP = (raw: Uint8Array) => {
  const y = yOf(raw) + P;
  if (y >= 1n << 255n) return undefined;
  const r = new Uint8Array(Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse());
  r[31]! |= raw[31]! & 0x80;
  return r;
};

test('the module is available here (the fallback is tested separately below)', () => {
  assert.ok(ed25519Wasm());
});

test('the 8 torsion points in every encoding (both sign bits, y and y + p), and the identity', () => {
  const seen = new Set<string>();
  for (const h of TORSION) {
    for (const sign of [0, 1]) {
      const raw = withSign(hex(h), sign);
      const plus = addP(raw);
      for (const r of plus ? [raw, plus] : [raw]) {
        const k = Buffer.from(r).toString('hex');
        if (seen.has(k)) continue;
        seen.add(k);
        const cls = agree(r);
        assert.ok(cls === 'small' || cls === 'bad' || cls === 'y>=p', k);
      }
    }
  }
  assert.is(seen.size, 14); // 8 canonical, 2 with the sign bit on x = 0, y = p and p + 1 with either sign
  agree(hex(TORSION[0]!), 'small'); // the identity
  for (const h of NON_CANONICAL) assert.not.equal(agree(hex(h)), 'strong');
  // y = p − 1 + k and friends around the prime, with both sign bits.
  for (let k = -3n; k <= 20n; k++) {
    const y = P + k;
    if (y >= 1n << 255n) continue;
    const raw = new Uint8Array(Buffer.from(y.toString(16).padStart(64, '0'), 'hex').reverse());
    agree(raw);
    agree(withSign(raw, 1));
  }
});

test('thousands of random 32-byte strings', () => {
  const counts = new Map<Cls, number>();
  for (let i = 0; i < 2000; i++) {
    const c = agree(new Uint8Array(randomBytes(32)));
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  // About half decode; of those 1/8 are torsion-free.
  assert.ok((counts.get('bad') ?? 0) > 700 && (counts.get('mixed') ?? 0) > 500 && (counts.get('strong') ?? 0) > 50, JSON.stringify([...counts]));
});

test('thousands of real keys (random scalar × base point) are strong', () => {
  for (let i = 0; i < 1000; i++) agree(ed.getPublicKey(new Uint8Array(randomBytes(32))), 'strong');
});

test('thousands of mixed-order keys (a real key plus each non-identity torsion point) are refused', () => {
  const torsion = TORSION.slice(1).map((h) => ed.Point.fromHex(h));
  assert.is(torsion.length, 7);
  for (let i = 0; i < 150; i++) {
    const a = ed.Point.fromBytes(ed.getPublicKey(new Uint8Array(randomBytes(32))));
    for (const t of torsion) agree(a.add(t).toBytes(), 'mixed');
  }
});

test('hostile inputs: wrong types and lengths, views into larger buffers, prototype names', () => {
  for (const bad of [new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), new Uint8Array(1 << 20)]) assert.match(ed25519KeyWeakness(bad) ?? '', /32 bytes/);
  const hostile: [string, unknown][] = [
    ['array', [...ed.getPublicKey(new Uint8Array(32).fill(3))]],
    ['string', '0'.repeat(32)],
    ['array-like', { length: 32 }],
    ['null', null],
    ['undefined', undefined],
    ['number', 42],
    ['fake Uint8Array', Object.create(Uint8Array.prototype)],
  ];
  for (const [what, bad] of hostile) {
    let msg = '';
    try {
      msg = ed25519KeyWeakness(bad as Uint8Array) ?? 'accepted';
    } catch (e) {
      msg = (e as Error).message; // a throw refuses too (the caller pins nothing)
    }
    assert.not.equal(msg, 'accepted', what);
  }
  // A real key inside a larger buffer, at an odd offset; and as a Buffer.
  const key = ed.getPublicKey(new Uint8Array(randomBytes(32)));
  const big = new Uint8Array(100).fill(0xff);
  big.set(key, 37);
  assert.is(ed25519KeyWeakness(big.subarray(37, 69)), undefined);
  assert.is(ed25519KeyWeakness(Buffer.from(key)), undefined);
  // The key before must not leak into the next check (the module keeps one input buffer).
  assert.match(ed25519KeyWeakness(hex(TORSION[0]!)) ?? '', /small-order/);
  assert.is(ed25519KeyWeakness(key), undefined);
});

test('without WebAssembly (node --jitless) the BigInt fallback gives the same answers', () => {
  const keys = [...TORSION, ...NON_CANONICAL, Buffer.from(ed.getPublicKey(new Uint8Array(32).fill(7))).toString('hex'), 'ff'.repeat(32)];
  keys.push(Buffer.from(ed.Point.fromBytes(ed.getPublicKey(new Uint8Array(32).fill(9))).add(ed.Point.fromHex(TORSION[6]!)).toBytes()).toString('hex'));
  const script = `
    import { ed25519KeyWeakness } from ${JSON.stringify(join(ROOT, 'runtime/src/crypto/ed25519-key-strength.ts'))};
    import { ed25519Wasm } from ${JSON.stringify(join(ROOT, 'runtime/src/crypto/ed25519-wasm.ts'))};
    const keys = ${JSON.stringify(keys)};
    process.stdout.write(JSON.stringify({ wasm: typeof WebAssembly, module: ed25519Wasm() !== undefined, answers: keys.map((k) => ed25519KeyWeakness(new Uint8Array(Buffer.from(k, 'hex'))) ?? null) }));
  `;
  const r = spawnSync(process.execPath, ['--jitless', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { wasm: string; module: boolean; answers: (string | null)[] };
  assert.is(out.wasm, 'undefined');
  assert.is(out.module, false);
  assert.equal(out.answers, keys.map((k) => ed25519KeyWeakness(hex(k)) ?? null));
  assert.ok(out.answers.filter((a) => a === null).length === 1 && out.answers.some((a) => /prime-order/.test(a ?? '')));
});

test('the module is compiled lazily, once per process, on the first key check', () => {
  const script = `
    const real = WebAssembly.Module;
    let compiled = 0;
    WebAssembly.Module = new Proxy(real, { construct(t, a) { compiled++; return Reflect.construct(t, a); } });
    const { ed25519KeyWeakness } = await import(${JSON.stringify(join(ROOT, 'runtime/src/crypto/ed25519-key-strength.ts'))});
    await import(${JSON.stringify(join(ROOT, 'runtime/src/crypto/index.ts'))});
    const before = compiled;
    const key = new Uint8Array(Buffer.from(${JSON.stringify(Buffer.from(ed.getPublicKey(new Uint8Array(32).fill(5))).toString('hex'))}, 'hex'));
    const answers = [ed25519KeyWeakness(key), ed25519KeyWeakness(new Uint8Array(32)), ed25519KeyWeakness(key)];
    process.stdout.write(JSON.stringify({ before, after: compiled, answers: answers.map((a) => a ?? null) }));
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: number; after: number; answers: (string | null)[] };
  assert.is(out.before, 0, 'importing the runtime compiles nothing');
  assert.is(out.after, 1, 'three checks compile the module once');
  assert.is(out.answers[0], null);
  assert.match(out.answers[1] ?? '', /small-order/); // y = 0: a point of order 4
  assert.is(out.answers[2], null);
});

test('parsePublicKey (every trust root) refuses weak keys with a one-line reason', () => {
  for (const h of [...TORSION, ...NON_CANONICAL]) {
    const spki = ed25519Spki(hex(h));
    let msg = '';
    try {
      parsePublicKey(spki);
    } catch (e) {
      msg = (e as Error).message;
    }
    assert.match(msg, /small-order|canonical/, h);
    assert.not.match(msg, /\n/);
  }
});

test('a pack "signed" for any content by the identity key is refused: the trust file cannot pin it', () => {
  // The attack: node:crypto (OpenSSL) accepts R = identity, S = 0 under the identity key for ANY message.
  const identity = hex(TORSION[0]!);
  const spki = ed25519Spki(identity);
  const forged = new Uint8Array(64);
  forged.set(identity, 0);
  const keyObject = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  assert.ok(verifySignature('ed25519', keyObject, new TextEncoder().encode('any message at all'), forged), 'precondition: the forgery works at the primitive level');
  const keyId = keyIdOf(spki);
  const body = new Uint8Array(16);
  const now = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  const payload = encodeManifest({
    name: 'evil/pack',
    serial: 1,
    created_at: formatManifestTime(now),
    not_before: formatManifestTime(now),
    expires_at: formatManifestTime(new Date(now.getTime() + 86400_000)),
    body: { sha256: createHash('sha256').update(body).digest('hex'), size: body.length },
    compiler: { name: 'x', version: '1' },
    source_sha256: '0'.repeat(64),
  });
  const pack = encodeContainer(encodeEnvelope({ payloadType: MANIFEST_PAYLOAD_TYPE, payload, signatures: [{ keyid: keyId, sig: forged }] }), body);
  const trust = { version: 1, keys: [{ id: keyId, algorithm: 'ed25519', public_key: Buffer.from(spki).toString('base64') }], scopes: [{ prefix: '*', keys: [keyId], threshold: 1 }] };
  let err: unknown;
  try {
    loadPack(pack, { trust: parseTrustRoots(trust), rollback: new MemoryRollbackStore() });
  } catch (e) {
    err = e;
  }
  assert.instance(err, PackRefusal);
  assert.is((err as PackRefusal).code, 'trust-file');
  assert.match((err as Error).message, /keys\[0\]: ed25519 public key is a small-order point/);
});

test.run();
