/**
 * The production parser skips chevrotain's grammar validations to start fast
 * (issue 15, `fmsc check` start-up); they run here instead, so a grammar
 * change that introduces an ambiguity or left recursion still fails a test.
 * Likewise the lexer's token-definition checks (issue 13, `fms-lsp` start-up).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grammarProblems } from '../../../compiler/src/syntax/parser';
import { allTokens, lexerProblems, Permit } from '../../../compiler/src/syntax/tokens';

test('the FPL grammar passes chevrotain validations', () => {
  assert.equal(grammarProblems(), []);
});

test('the FPL token definitions pass chevrotain lexer validations', () => {
  assert.equal(lexerProblems(), []);
  // The check itself works: a keyword placed after `Word` can never match.
  const bad = [...allTokens.filter((t) => t !== Permit), Permit];
  assert.ok(lexerProblems(bad).some((m) => /Permit/.test(m)), `an unreachable token is reported: ${JSON.stringify(lexerProblems(bad))}`);
});

test.run();
