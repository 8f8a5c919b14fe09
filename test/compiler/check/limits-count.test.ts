// The string-table limit (FMS2041) is checked from a count with repeats and
// only builds the set of distinct texts when that count is over the limit:
// the count must be exactly the number of texts the set would be built from.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '@fms/compiler';
import { stackStringCount, stackStrings } from '../../../compiler/src/check/limits';
import { ROOT } from '../../helpers/paths';
import { generatePolicy } from '../../bench/check-bench';

const sources: [string, string][] = [['generated 2,000 lines', generatePolicy(2000)]];
/** Every .fms file under `dir` (examples and test fixtures: egress, redaction, phases, model policies…). */
function walk(dir: string): void {
  for (const d of readdirSync(dir)) {
    const p = join(dir, d);
    if (statSync(p).isDirectory()) walk(p);
    else if (d.endsWith('.fms')) sources.push([p.slice(ROOT.length + 1), readFileSync(p, 'utf8')]);
  }
}
walk(join(ROOT, 'examples'));
walk(join(ROOT, 'test', 'fixtures'));

test('stackStringCount equals the number of texts stackStrings yields, on every example and a generated stack', () => {
  let checked = 0;
  for (const [name, text] of sources) {
    const ir = compile(text, 'governance.fms', { env: {} }).ir;
    if (!ir) continue;
    checked++;
    let n = 0;
    for (const _ of stackStrings(ir!)) n++;
    assert.is(stackStringCount(ir!), n, name);
    assert.ok(n > ir!.agents.length, name);
  }
  assert.ok(checked >= 20, `${checked} policies checked`);
});

test.run();
