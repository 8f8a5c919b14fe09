/** Approval ids (issue 15): batched CSPRNG bytes, same format, no repeats, no derivable sequence. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomApprovalId } from '../../../runtime/src/state/approval-id';
import { MemoryState } from '../../../runtime/src/state/store';

test('ids have the documented shape and do not repeat across many batches', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 50_000; i++) {
    const id = randomApprovalId();
    assert.match(id, /^apr-[0-9a-f]{16}$/);
    seen.add(id);
  }
  assert.is(seen.size, 50_000);
});

test('consecutive ids are independent (no counter): each hex digit position is spread out', () => {
  // A counter or a short-period derivation would leave most positions constant.
  const ids = Array.from({ length: 4096 }, () => randomApprovalId().slice(4));
  for (let pos = 0; pos < 16; pos++) assert.ok(new Set(ids.map((s) => s[pos])).size === 16, `position ${pos}`);
});

test('the memory store uses them by default and a caller may still pass its own', () => {
  assert.match(new MemoryState().approvalId(), /^apr-[0-9a-f]{16}$/);
  let n = 0;
  assert.is(new MemoryState({ approvalId: () => `apr-${++n}` }).approvalId(), 'apr-1');
});

test.run();
