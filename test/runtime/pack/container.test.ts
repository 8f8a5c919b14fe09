import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeContainer, encodeContainer, MAX_ENVELOPE_BYTES, PACK_MAGIC } from '../../../runtime/src/pack/container';
import { PackRefusal } from '../../../runtime/src/trust/refusal';

const env = new TextEncoder().encode('{"a":1}');
const body = Uint8Array.from([1, 2, 3, 4, 5]);

function refusal(f: () => unknown): PackRefusal {
  try {
    f();
  } catch (e) {
    if (e instanceof PackRefusal) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

test('round trip and exact layout', () => {
  const b = encodeContainer(env, body);
  assert.equal(Array.from(b.subarray(0, 8)), Array.from(PACK_MAGIC));
  assert.equal(Array.from(b.subarray(8, 10)), [0, 1]);
  assert.equal(Array.from(b.subarray(10, 14)), [0, 0, 0, env.length]);
  assert.equal(Array.from(b.subarray(14 + env.length, 22 + env.length)), [0, 0, 0, 0, 0, 0, 0, 5]);
  assert.is(b.length, 14 + env.length + 8 + body.length);
  const d = decodeContainer(b);
  assert.is(d.version, 1);
  assert.equal(Array.from(d.envelope), Array.from(env));
  assert.equal(Array.from(d.body), Array.from(body));
});

test('empty body is allowed', () => {
  const d = decodeContainer(encodeContainer(env, new Uint8Array()));
  assert.is(d.body.length, 0);
});

test('every truncation is refused as truncated', () => {
  const b = encodeContainer(env, body);
  for (let n = 0; n < b.length; n++) {
    const r = refusal(() => decodeContainer(b.subarray(0, n)));
    assert.ok(r.code === 'container-truncated', `length ${n}: ${r.code}`);
    assert.not.match(r.message, /\n/);
  }
});

test('trailing bytes are refused', () => {
  const b = encodeContainer(env, body);
  const t = new Uint8Array(b.length + 1);
  t.set(b);
  assert.is(refusal(() => decodeContainer(t)).code, 'container-trailing-bytes');
});

test('bad magic and version', () => {
  const b = encodeContainer(env, body);
  const m = b.slice();
  m[1] = 0x47;
  assert.is(refusal(() => decodeContainer(m)).code, 'container-magic');
  const v = b.slice();
  v[9] = 2;
  assert.is(refusal(() => decodeContainer(v)).code, 'container-version');
  assert.is(refusal(() => decodeContainer(new TextEncoder().encode('hello world, not a pack'))).code, 'container-magic');
});

test('envelope length bounds', () => {
  const b = encodeContainer(env, body);
  const z = b.slice();
  z.set([0, 0, 0, 0], 10);
  assert.is(refusal(() => decodeContainer(z)).code, 'container-envelope-size');
  const big = b.slice();
  new DataView(big.buffer).setUint32(10, MAX_ENVELOPE_BYTES + 1);
  assert.is(refusal(() => decodeContainer(big)).code, 'container-envelope-size');
  const huge = b.slice();
  new DataView(huge.buffer).setUint32(10, 0xffffffff);
  assert.is(refusal(() => decodeContainer(huge)).code, 'container-envelope-size');
  assert.throws(() => encodeContainer(new Uint8Array(MAX_ENVELOPE_BYTES + 1), body));
});

test('body length must be exact and bounded (u64 high bits)', () => {
  const b = encodeContainer(env, body);
  const at = 14 + env.length;
  const hi = b.slice();
  hi[at] = 0x80;
  assert.is(refusal(() => decodeContainer(hi)).code, 'container-body-size');
  const less = b.slice();
  less[at + 7] = 4;
  assert.is(refusal(() => decodeContainer(less)).code, 'container-trailing-bytes');
  const more = b.slice();
  more[at + 7] = 6;
  assert.is(refusal(() => decodeContainer(more)).code, 'container-truncated');
});

test('decoding respects a subarray view offset', () => {
  const b = encodeContainer(env, body);
  const host = new Uint8Array(b.length + 7);
  host.set(b, 7);
  const d = decodeContainer(host.subarray(7));
  assert.equal(Array.from(d.body), Array.from(body));
});

test.run();
