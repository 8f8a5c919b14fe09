/**
 * Issue 18, class 1: the registry resolver never reads outside the registry,
 * never hangs (FIFOs, devices, symlink loops), and always answers either a
 * canonical resolution or a one-line refusal. The fuzzing runs in a child
 * process with a time limit, so a resolver that blocks fails this test instead
 * of freezing the suite.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../../helpers/paths';

test('random refs against a registry planted with symlinks, a FIFO, a device link, a folder and a 1 MiB+ file', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'test/compiler/imports/registry-fuzz-worker.ts')], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.is(r.signal, null, `the fuzzer was killed (${r.signal}): a resolution blocked`);
  assert.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { runs: number; resolved: number; refused: number; planted: Record<string, string>; violations: string[] };
  assert.equal(out.violations, []);
  assert.ok(out.runs >= 3000, `only ${out.runs} resolutions`);
  assert.is(out.planted.fifo, 'FMS2073');
  assert.is(out.planted.link, 'FMS2073');
  assert.is(out.planted.inlink, 'resolved');
});

test.run();
