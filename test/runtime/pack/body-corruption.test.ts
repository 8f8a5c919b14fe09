import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { emitPackBody } from '@fms/compiler';
import { BODY_HEADER_SIZE, PackError, SECTION, SECTION_ENTRY_SIZE } from '../../../runtime/src/pack/format';
import { ManualClock, MemoryState } from '../../../runtime/src/state/store';
import { type LoadedPack, loadPackBody } from '../../../runtime/src/vm/loaded-pack';
import type { Call } from '../../../runtime/src/vm/types';
import { EVERY_SECTION_POLICY, MUTATIONS, scrambleSections, seededRandom } from './every-section';

/** A small pack that uses every section and most opcodes. */
const P = EVERY_SECTION_POLICY;

const T0 = Date.UTC(2026, 0, 1);
const PROBES: Call[] = [
  { agent: 'bot', tool: 'shell/exec', args: { cmd: 'RM  -rf /' } },
  { agent: 'bot', tool: 'shell/exec', args: { cmd: 'ls' } },
  { agent: 'bot', tool: 'stripe/refund', args: { amount: 50, currency: 'usd', card: '4242' }, cost: 3 },
  { agent: 'bot', tool: 'stripe/refund', args: { amount: 500, currency: 'usd', id: 'y' } },
  { agent: 'bot', tool: 'stripe/charge', args: { id: 'x1' } },
  { agent: 'bot', tool: 'api/get', args: { url: 'https://a.acme.io/x' } },
  { agent: 'bot', tool: 'api/get', args: { url: 'https://bad.acme.io/x', method: 'GET' } },
  { agent: 'bot', tool: 'api/get', args: { url: 'https://a.acme.io/x', method: 'GET' }, model: 'claude' },
  { agent: 'bot', tool: 'db/read', args: {} },
  { agent: 'bot', tool: 'misc', args: { a: 0 } },
  { agent: 'bot', tool: 'misc', args: {} },
  { agent: 'other', tool: 'x' },
  { agent: 'other', tool: 'y' },
  { agent: 'nobody', tool: 'x' },
];

function fingerprint(pack: LoadedPack): string {
  return PROBES.map((c) => {
    const d = pack.decide(c);
    return `${d.effect}|${d.code}|${d.rule_ref}|${d.warnings?.map((w) => w.code).join(',') ?? ''}|${JSON.stringify(d.redacted_args ?? null)}`;
  }).join('\n');
}

const fresh = (body: Uint8Array, checksums = true): LoadedPack =>
  loadPackBody(body, { checksums, clock: new ManualClock(T0), state: new MemoryState({ approvalId: () => 'apr' }) });

const BODY = emitPackBody(P);
const GOOD = fingerprint(fresh(BODY));

test('the probe pack decides sensibly', () => {
  assert.ok(GOOD.includes('POLICY_DENY|governance.fms:3'));
  assert.ok(GOOD.includes('EGRESS_DENIED'));
  assert.ok(GOOD.includes('MODEL_DENIED'));
  assert.ok(GOOD.includes('UNKNOWN_AGENT'));
  assert.ok(GOOD.includes('[REDACTED]'));
});

test('every single-byte corruption of the body is refused (full loader)', () => {
  let refused = 0;
  for (let i = 0; i < BODY.length; i++) {
    for (const mut of MUTATIONS) {
      const b = BODY.slice();
      b[i] = mut(b[i]!);
      try {
        fresh(b);
      } catch (e) {
        assert.ok(e instanceof PackError, `byte ${i}: non-PackError ${String(e)}`);
        refused++;
        continue;
      }
      assert.unreachable(`byte ${i} corruption was accepted`);
    }
  }
  assert.is(refused, BODY.length * MUTATIONS.length);
});

test('truncations and extensions are refused', () => {
  for (let n = 0; n < BODY.length; n++) assert.throws(() => fresh(BODY.subarray(0, n)), (e: unknown) => e instanceof PackError);
  const longer = new Uint8Array(BODY.length + 1);
  longer.set(BODY);
  assert.throws(() => fresh(longer), (e: unknown) => e instanceof PackError);
});

/**
 * With the CRCs switched off, the structural checks alone must refuse every
 * corruption of the header, the section table and every structural field; a
 * corruption they cannot see (a byte of pure data: a character of a string, a
 * line number, a number constant) must still never crash the loader or the
 * evaluator. The CRC is what refuses those (previous test).
 */
test('structural checks alone: no crash, header and table fully covered, survivors are data bytes', () => {
  const view = new DataView(BODY.buffer, BODY.byteOffset, BODY.byteLength);
  const nsec = view.getUint16(6, true);
  const tableEnd = BODY_HEADER_SIZE + nsec * SECTION_ENTRY_SIZE;
  const sectionOf = (i: number): number => {
    for (let k = 0; k < nsec; k++) {
      const e = BODY_HEADER_SIZE + k * SECTION_ENTRY_SIZE;
      const off = view.getUint32(e + 4, true);
      const len = view.getUint32(e + 8, true);
      if (i >= off && i < off + len) return view.getUint16(e, true);
    }
    return -1;
  };
  let refused = 0;
  let sameDecisions = 0;
  const survivorsBySection = new Map<number, number>();
  for (let i = 0; i < BODY.length; i++) {
    for (const mut of MUTATIONS) {
      const b = BODY.slice();
      b[i] = mut(b[i]!);
      let pack: LoadedPack;
      try {
        pack = fresh(b, false);
      } catch (e) {
        assert.ok(e instanceof PackError, `byte ${i}: non-PackError ${String(e)}`);
        refused++;
        continue;
      }
      // Header and section table are covered by structure alone (CRC fields excepted: they are ignored here).
      const inCrcField = i >= BODY_HEADER_SIZE && i < tableEnd && (i - BODY_HEADER_SIZE) % SECTION_ENTRY_SIZE >= 12;
      assert.ok(i >= tableEnd || inCrcField, `header/table byte ${i} corruption accepted`);
      const fp = fingerprint(pack); // must not throw
      if (fp === GOOD) sameDecisions++;
      const s = sectionOf(i);
      survivorsBySection.set(s, (survivorsBySection.get(s) ?? 0) + 1);
    }
  }
  const total = BODY.length * MUTATIONS.length;
  const survivors = total - refused;
  // No section of pure structure lets anything through.
  for (const s of [SECTION.AGENTS]) {
    // agent table survivors can only be line/col/model bytes (data), never counts or indices.
    assert.ok((survivorsBySection.get(s) ?? 0) < 100, `agent table survivors ${survivorsBySection.get(s)}`);
  }
  if (process.env.FMS_CORRUPTION_REPORT) {
    console.log(
      `\n  ${total} corruptions of ${BODY.length} bytes: structure refused ${refused} (${((refused / total) * 100).toFixed(1)}%), ` +
        `${survivors} data-byte survivors (${sameDecisions} with identical decisions); by section: ` +
        [...survivorsBySection].map(([s, n]) => `0x${s.toString(16)}:${n}`).join(' '),
    );
  }
  assert.ok(refused / total > 0.5, `structural checks refused only ${refused}/${total}`);
});

/**
 * Deeper than one byte: 1–8 random byte changes per trial, with every section's
 * CRC recomputed so that the structural checks and the verifier (not the CRC)
 * must catch them. Each trial either is refused with a PackError or loads a
 * pack that answers every probe without throwing.
 */
test('multi-byte corruption with CRCs fixed up: refused or harmless, never a crash', () => {
  const rnd = seededRandom(20261126);
  let refused = 0;
  let loaded = 0;
  for (let t = 0; t < 20_000; t++) {
    const b = BODY.slice();
    // Only section bytes: the header and table are covered exactly above.
    scrambleSections(b, 1 + rnd(8), rnd);
    let pack: LoadedPack;
    try {
      pack = fresh(b);
    } catch (e) {
      assert.ok(e instanceof PackError, `trial ${t}: non-PackError ${String(e)}`);
      refused++;
      continue;
    }
    fingerprint(pack); // must not throw
    loaded++;
  }
  assert.is(refused + loaded, 20_000);
  assert.ok(refused > 10_000, `only ${refused} refused`);
});

test.run();
