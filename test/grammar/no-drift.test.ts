import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LANGUAGE_WORDS } from '@fms/compiler';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/paths';
import { scopesAt } from './annotations';
import { tokenize } from './textmate';

// No drift between the parser and the grammar: every word the compiler knows
// (lexer keywords, effects, blocks, agent fields, windows, functions) is in the
// grammar, and where its role is unambiguous the grammar gives it that role.

/** Every regular expression of the grammar (match/begin/end/while), joined: keywords must appear there, not just in scope names. */
const grammarRegexes = ((): string => {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'string' && ['match', 'begin', 'end', 'while'].includes(k)) out.push(x);
        else visit(x);
      }
    }
  };
  visit(JSON.parse(readFileSync(join(ROOT, 'grammar', 'fms.tmLanguage.json'), 'utf8')));
  return out.join('\n');
})();

/** Scopes of the first character of `word` in the one-line `source`. */
async function scopesOf(source: string, word: string): Promise<string[]> {
  const lines = await tokenize(source);
  const [line, col] = (() => {
    const rows = source.split('\n');
    for (let i = 0; i < rows.length; i++) {
      const c = rows[i]!.indexOf(word);
      if (c >= 0) return [i, c];
    }
    throw new Error(`${word} not in ${source}`);
  })();
  return scopesAt(lines[line]!, col) ?? [];
}

const hasScope = (scopes: string[], prefix: string): boolean => scopes.some((s) => s.startsWith(prefix));

test('the compiler exports a non-trivial vocabulary', () => {
  assert.ok(LANGUAGE_WORDS.keywords.length >= 30);
  for (const w of ['deny!', 'permit', 'matches', 'rate_limit', 'starts_with', 'headers']) assert.ok(LANGUAGE_WORDS.keywords.includes(w), w);
});

test('every lexer keyword appears as a word in the grammar\'s regular expressions', () => {
  const missing = LANGUAGE_WORDS.keywords.filter((w) => !new RegExp(`(?<![A-Za-z_])${w.replace(/[!]/g, '\\$&')}(?![A-Za-z_])`).test(grammarRegexes));
  assert.equal(missing, []);
});

test('every effect is an effect keyword at the head of a rule', async () => {
  for (const e of LANGUAGE_WORDS.effects) {
    const scopes = await scopesOf(`  ${e} tool/x`, e);
    assert.ok(hasScope(scopes, 'keyword.control.effect.'), `${e}: ${scopes.join(' ')}`);
  }
});

test('every block keyword is a block', async () => {
  for (const b of [...LANGUAGE_WORDS.topLevelBlocks, ...LANGUAGE_WORDS.agentBlocks]) {
    const scopes = await scopesOf(b === 'agent' ? 'agent bot {' : `  ${b} {`, b);
    assert.ok(hasScope(scopes, 'storage.type.'), `${b}: ${scopes.join(' ')}`);
  }
});

test('every agent field is a field name', async () => {
  for (const f of LANGUAGE_WORDS.agentFields) {
    const scopes = await scopesOf(`  ${f} "x"`, f);
    assert.ok(hasScope(scopes, 'support.type.property-name'), `${f}: ${scopes.join(' ')}`);
  }
});

test('every rate-limit window is a window', async () => {
  for (const w of LANGUAGE_WORDS.windows) {
    const scopes = await scopesOf(`  rate_limit "a/*": 5 per ${w}`, ` ${w}`.slice(1));
    assert.ok(hasScope(scopes, 'constant.language.window'), `${w}: ${scopes.join(' ')}`);
  }
});

test('every function is a built-in function', async () => {
  for (const f of LANGUAGE_WORDS.functions) {
    const name = f.split('.').pop()!;
    const scopes = await scopesOf(`  permit x when ${f}("a") > 1`, `${name}(`);
    assert.ok(hasScope(scopes, 'support.function.builtin'), `${f}: ${scopes.join(' ')}`);
  }
});

test.run();
