/**
 * The verification path checks names, digests, key ids, base64 and times with
 * character loops instead of regular expressions and Date (issue 15,
 * fresh-process load). Each must accept exactly what the pattern (or the old
 * Date round trip) accepts, with the same value.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeBase64Strict } from '../../../runtime/src/crypto/base64';
import { isKeyId } from '../../../runtime/src/trust/dsse';
import { formatManifestTime, isValidPackName, PACK_NAME_RE, parseManifestTime } from '../../../runtime/src/trust/manifest';
import { bytesEqual, isLowerHexTail } from '../../../runtime/src/trust/canonical-json';

/** The previous implementation: pattern, Date.parse and a formatting round trip. */
function oldParseTime(s: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(s)) return undefined;
  const ms = Date.parse(s);
  if (!Number.isFinite(ms) || formatManifestTime(new Date(ms)) !== s) return undefined;
  return ms;
}

function oldBase64(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  if (buf.toString('base64') !== s) return undefined;
  return new Uint8Array(buf);
}

let seed = 0x5eed15;
const rnd = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const pick = (alphabet: string, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += alphabet[rnd(alphabet.length)];
  return s;
};
const pad = (n: number, w: number): string => String(n).padStart(w, '0');

test('parseManifestTime: every day of years 0000–0400 and 1890–2500, and the month/day edges of all years', () => {
  const years = [...Array.from({ length: 401 }, (_, i) => i), ...Array.from({ length: 611 }, (_, i) => 1890 + i)];
  let n = 0;
  for (const y of years)
    for (let m = 1; m <= 12; m++)
      for (let d = 0; d <= 32; d++) {
        const s = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(rnd(25), 2)}:${pad(rnd(61), 2)}:${pad(rnd(61), 2)}Z`;
        assert.is(parseManifestTime(s), oldParseTime(s), s);
        n++;
      }
  for (let y = 0; y <= 9999; y++)
    for (const md of ['02-28', '02-29', '02-30', '04-30', '04-31', '12-31', '01-01', '00-10', '13-01'])
      for (const t of ['00:00:00', '23:59:59', '24:00:00', '12:60:00', '12:00:60']) {
        const s = `${pad(y, 4)}-${md}T${t}Z`;
        assert.is(parseManifestTime(s), oldParseTime(s), s);
        n++;
      }
  assert.ok(n > 400_000);
});

test('parseManifestTime: malformed strings are refused like before', () => {
  const ok = '2026-11-30T16:30:00Z';
  assert.is(parseManifestTime(ok), Date.UTC(2026, 10, 30, 16, 30, 0));
  const bad = [
    '',
    ok + ' ',
    ' ' + ok,
    ok.replace('T', 't'),
    ok.replace('Z', 'z'),
    ok.replace('Z', '+00:00'),
    '2026-11-30T16:30:00.000Z',
    '2026-11-30 16:30:00Z',
    '2026/11/30T16:30:00Z',
    '+02026-11-30T16:30:0Z',
    '2026-1-30T16:30:000Z',
    '٢٠٢٦-11-30T16:30:00Z',
    '2026-11-30T16:3０:00Z',
    '-026-11-30T16:30:00Z',
    '2026-11-30T-6:30:00Z',
  ];
  for (const s of bad) {
    assert.is(parseManifestTime(s), undefined, s);
    assert.is(oldParseTime(s), undefined, s);
  }
  // Random strings of the right shape over digits and separators.
  for (let i = 0; i < 50_000; i++) {
    const s = pick('0123456789-T:Z', 20);
    assert.is(parseManifestTime(s), oldParseTime(s), s);
  }
  for (const v of [null, undefined, 20, ['2026-11-30T16:30:00Z'], { toString: () => ok }])
    assert.is(parseManifestTime(v as unknown as string), undefined);
});

test('isValidPackName accepts exactly what PACK_NAME_RE accepts (≤ 200 characters)', () => {
  const old = (s: string): boolean => s.length <= 200 && PACK_NAME_RE.test(s);
  const fixed = ['acme/payments', 'a', '_', 'a/b/c', 'a.b-c_d/E9', '.a', '-a', 'a/', '/a', 'a//b', 'a/.b', 'a/-b', 'a b', 'a\nb', 'é', 'a'.repeat(200), 'a'.repeat(201), '', 'a/b\n', 'a\u0000'];
  for (const s of fixed) assert.is(isValidPackName(s), old(s), JSON.stringify(s));
  for (let i = 0; i < 100_000; i++) {
    const s = pick('aZ09_.-/ é\n', 1 + rnd(8));
    assert.is(isValidPackName(s), old(s), JSON.stringify(s));
  }
  for (const v of [null, undefined, 1, ['acme'], { length: 1 }]) assert.is(isValidPackName(v as unknown as string), false);
});

test('isKeyId and isLowerHexTail accept exactly the lowercase-hex patterns', () => {
  const re = /^sha256:[0-9a-f]{64}$/;
  const good = 'sha256:' + 'ab12'.repeat(16);
  assert.ok(isKeyId(good));
  const cases = [good, good.toUpperCase(), good + '0', good.slice(0, -1), 'sha256;' + good.slice(7), 'sha512:' + good.slice(7), good.replace('a', 'g'), good.replace('1', '١'), good + '\n'];
  for (let i = 0; i < 20_000; i++) cases.push('sha256:' + pick('0123456789abcdefABCDEFg:', 62 + rnd(4)));
  for (const s of cases) assert.is(isKeyId(s), re.test(s), s);
  assert.is(isKeyId(['sha256:' + '0'.repeat(64)] as unknown as string), false);
  assert.ok(isLowerHexTail('0'.repeat(64), 0, 64));
  assert.not.ok(isLowerHexTail('0'.repeat(65), 0, 64));
  assert.not.ok(isLowerHexTail(64, 0, 2));
});

test('decodeBase64Strict: same answer as pattern + round trip', () => {
  const cases = ['', 'AA==', 'AAA=', 'AAAA', 'AB==', 'AAB=', 'A===', '====', 'AA=A', 'AA-_', 'AA/+', 'AA\nA', ' AAA', 'AAAA\n', 'AA==AAAA', 'QUJD', 'QUJDRA==', 'QUJDRB==', 'QUJDRA=', 'é123'];
  for (let i = 0; i < 50_000; i++) cases.push(pick('AQgw09+/=-_ \n', 4 * (1 + rnd(4)) + (rnd(8) === 0 ? 1 : 0)));
  for (const s of cases) {
    const a = decodeBase64Strict(s);
    const b = oldBase64(s);
    assert.is(a === undefined, b === undefined, JSON.stringify(s));
    if (a && b) assert.ok(bytesEqual(a, b), s);
  }
  assert.is(decodeBase64Strict(['AAAA'] as unknown as string), undefined);
});

test('bytesEqual', () => {
  assert.ok(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
  assert.not.ok(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
  assert.not.ok(bytesEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2, 0])));
  assert.ok(bytesEqual(new Uint8Array(0), new Uint8Array(0)));
  const big = new Uint8Array(10_000).fill(7);
  assert.ok(bytesEqual(big.subarray(1), big.subarray(0, 9_999)));
});

test.run();
