import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as assert from 'uvu/assert';
import { expectGolden } from '../helpers/golden';
import { corpusSuite, ROOT, walk } from '../helpers/paths';
import { scopesAt } from './annotations';
import { renderTokens, tokenize } from './textmate';

// Snapshots of whole files through the grammar (token text + scopes), stored in
// test/grammar/snapshots/ and reviewed as code. A missing snapshot fails;
// UPDATE_GOLDEN=1 writes them. Corpus files need ../shared/corpus (corpusSuite
// skips them in a bare clone, fails under CI=true).

const { dir, test } = corpusSuite('test/grammar/snapshots.test.ts');
const SNAPSHOTS = join(ROOT, 'test', 'grammar', 'snapshots');

/** The richest corpus policies (every construct family between them) and the repository's example. */
const CORPUS_FILES = [
  'fpl-lang/examples/payment-bot.fpl',
  'faramesh-core/policies/stripe_agent_production.fpl',
  'faramesh-core/internal/core/fpl/testdata/structured.fpl',
  'faramesh-docs/complete/guides_from-dev-to-prod-11.fms',
];

const snapshotName = (rel: string): string => `${rel.replace(/[/\\]/g, '__')}.tokens.txt`;

for (const rel of CORPUS_FILES) {
  test(`snapshot: corpus ${rel}`, async () => {
    const text = readFileSync(join(dir, rel), 'utf8');
    expectGolden(join(SNAPSHOTS, snapshotName(rel)), renderTokens(await tokenize(text)));
  });
}

test('snapshot: examples/support-bot/governance.fms', async () => {
  const text = readFileSync(join(ROOT, 'examples', 'support-bot', 'governance.fms'), 'utf8');
  expectGolden(join(SNAPSHOTS, 'examples__support-bot__governance.fms.tokens.txt'), renderTokens(await tokenize(text)));
});

test('every corpus file tokenizes, and every rule head gets an effect scope', async () => {
  const files = walk(dir).filter((f) => /\.(fms|fpl)$/.test(f));
  assert.ok(files.length > 100, `${files.length} corpus files`);
  const effect = /^\s*(deny!|permit|allow|approve|deny|defer|block|reject)\s+[A-Za-z0-9_*/."']/;
  const missed: string[] = [];
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    const lines = await tokenize(text);
    text.split(/\r?\n/).forEach((line, i) => {
      const m = effect.exec(line);
      if (!m) return;
      const col = line.indexOf(m[1]!);
      if (!scopesAt(lines[i]!, col)?.some((s) => s.startsWith('keyword.control.effect.'))) missed.push(`${relative(dir, f)}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.equal(missed, []);
});

test.run();
