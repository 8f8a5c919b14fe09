import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/paths';

// The committed grammar JSON is what grammar/scripts/build-grammar.mjs writes
// (edit the script, then run it).

test('grammar JSON files are up to date with build-grammar.mjs (--check)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'grammar', 'scripts', 'build-grammar.mjs'), '--check'], { encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

test('the grammars are JSON with the scope names VS Code expects', () => {
  const g = JSON.parse(readFileSync(join(ROOT, 'grammar', 'fms.tmLanguage.json'), 'utf8')) as { scopeName: string };
  const m = JSON.parse(readFileSync(join(ROOT, 'grammar', 'fms-markdown.tmLanguage.json'), 'utf8')) as { scopeName: string; injectionSelector: string };
  assert.is(g.scopeName, 'source.fms');
  assert.is(m.scopeName, 'markdown.fms.codeblock');
  assert.is(m.injectionSelector, 'L:text.html.markdown');
});

test.run();
