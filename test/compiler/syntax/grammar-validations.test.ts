/**
 * The production parser skips chevrotain's grammar validations to start fast
 * (issue 15, `fmsc check` start-up); they run here instead, so a grammar
 * change that introduces an ambiguity or left recursion still fails a test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grammarProblems } from '../../../compiler/src/syntax/parser';

test('the FPL grammar passes chevrotain validations', () => {
  assert.equal(grammarProblems(), []);
});

test.run();
