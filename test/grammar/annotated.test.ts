import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/paths';
import { check, readAssertions } from './annotations';
import { tokenize } from './textmate';

// Annotated files in test/grammar/cases/: every construct of FPL with the scopes
// the grammar must give it, checked with the real TextMate engine
// (vscode-textmate + vscode-oniguruma, as VS Code runs it).

const CASES = join(ROOT, 'test', 'grammar', 'cases');
const files = readdirSync(CASES).sort();

test('the annotated cases exist and assert something', () => {
  assert.ok(files.length >= 3);
  for (const f of files) assert.ok(readAssertions(readFileSync(join(CASES, f), 'utf8')).length >= 3, f);
});

for (const f of files) {
  test(`scopes of ${f}`, async () => {
    const text = readFileSync(join(CASES, f), 'utf8');
    const scope = f.endsWith('.md') ? 'text.html.markdown' : 'source.fms';
    const failures = check(readAssertions(text), await tokenize(text, scope), text.split('\n'));
    assert.equal(failures, [], `${f}:\n${failures.join('\n')}`);
  });
}

test('an assertion that does not hold is reported (the checker is not vacuous)', async () => {
  const text = 'permit a/b\n#      ^^^ keyword.control.effect.permit.fms\n# <- - keyword.control.effect.permit.fms\n#          ^ string.quoted.double.fms\n';
  const failures = check(readAssertions(text), await tokenize(text), text.split('\n'));
  assert.is(failures.length, 5, failures.join('\n'));
});

test.run();
