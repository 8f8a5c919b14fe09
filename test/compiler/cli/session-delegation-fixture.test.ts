// `fmsc test` runs the decision fixtures of `session {}` limits and `delegate {}`
// grants (issue 9, class 9), including the `delegation` call field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../sign/cli';

test('fmsc test: session and delegation decision fixtures pass', async () => {
  const r = await runCli('fmsc', ['test', 'test/fixtures/decisions/session-delegation/session-delegation.fmtest.json']);
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /11 passed, 0 failed/);
});

test.run();
