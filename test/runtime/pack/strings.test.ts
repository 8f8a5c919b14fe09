/**
 * The string table (one UTF-8 blob cut by UTF-16 end offsets) and the CRC-32
 * the loader checks each section with.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitPackBody } from '@fms/compiler';
import { readBody } from '../../../runtime/src/pack/body-reader';
import { BODY_HEADER_SIZE, PackError, SECTION, SECTION_ENTRY_SIZE, crc32, crc32Table } from '../../../runtime/src/pack/format';
import { E, agent, policy, rule } from '../../helpers/ir-builder';

// Non-ASCII text on purpose: an astral character (a surrogate pair in UTF-16) and an accented letter.
const BODY = emitPackBody(
  policy(agent('bot', [rule('deny', 'mail/send', { line: 3, reason: 'no 📧 to élite', when: E.cmp('==', E.args('to'), E.lit('ünï')) })])),
);

/** Offset and length of a section, from the section table. */
function section(body: Uint8Array, type: number): { off: number; len: number; entry: number } {
  const v = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let k = 0; k < v.getUint16(6, true); k++) {
    const e = BODY_HEADER_SIZE + k * SECTION_ENTRY_SIZE;
    if (v.getUint16(e, true) === type) return { off: v.getUint32(e + 4, true), len: v.getUint32(e + 8, true), entry: e };
  }
  throw new Error('no such section');
}

/** A copy of the body with the string table's end offsets changed by `edit`, CRC fixed up. */
function withEnds(edit: (ends: number[]) => void): Uint8Array {
  const b = BODY.slice();
  const v = new DataView(b.buffer);
  const s = section(b, SECTION.STRINGS);
  const n = v.getUint32(s.off, true);
  const ends = Array.from({ length: n }, (_, i) => v.getUint32(s.off + 4 + 4 * i, true));
  edit(ends);
  ends.forEach((x, i) => v.setUint32(s.off + 4 + 4 * i, x, true));
  v.setUint32(s.entry + 12, crc32(b, s.off, s.off + s.len), true);
  return b;
}

const refused = (b: Uint8Array, why: RegExp): void => {
  assert.throws(() => readBody(b), (e: unknown) => e instanceof PackError && why.test(e.message));
};

test('non-ASCII strings survive the round trip', () => {
  const m = readBody(BODY);
  assert.is(m.rules[0]!.reason, 'no 📧 to élite');
  assert.ok(m.consts.some((c) => c.t === 'str' && c.v === 'ünï'));
});

test('end offsets that go backwards, overlap or miss the end are refused', () => {
  refused(
    withEnds((e) => {
      e[1] = e[0]! - 1;
    }),
    /goes backwards/,
  );
  refused(
    withEnds((e) => {
      e[e.length - 1]! -= 1;
    }),
    /offsets do not cover/,
  );
  // Moving one boundary changes two strings: the order check (or a reference check) refuses it.
  refused(
    withEnds((e) => {
      e[1]! += 1;
    }),
    /not sorted and unique|never referenced|pattern|string/,
  );
});

test('a boundary inside a surrogate pair is refused', () => {
  const m = readBody(BODY);
  const strings: string[] = [];
  // Rebuild the decoded table to find the string that holds the pair.
  const b = BODY;
  const s = section(b, SECTION.STRINGS);
  const v = new DataView(b.buffer, b.byteOffset);
  const n = v.getUint32(s.off, true);
  const whole = new TextDecoder().decode(b.subarray(s.off + 4 + 4 * n, s.off + s.len));
  let start = 0;
  for (let i = 0; i < n; i++) {
    const end = v.getUint32(s.off + 4 + 4 * i, true);
    strings.push(whole.slice(start, end));
    start = end;
  }
  const k = strings.indexOf(m.rules[0]!.reason!);
  assert.ok(k >= 0);
  const inPair = strings.slice(0, k).reduce((x, y) => x + y.length, 0) + 'no 📧'.length - 1;
  refused(
    withEnds((e) => {
      e[k - 1] = inPair;
    }),
    /string \d+ ends inside a character/,
  );
});

test('native and table CRC-32 agree', () => {
  assert.is(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.is(crc32Table(new TextEncoder().encode('123456789')), 0xcbf43926);
  for (let i = 0; i < BODY.length; i += 7) assert.is(crc32(BODY, i, BODY.length), crc32Table(BODY, i, BODY.length));
});

test.run();
