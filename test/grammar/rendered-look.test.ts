import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as assert from 'uvu/assert';
import { corpusSuite, ROOT, UPDATE_GOLDEN, walk } from '../helpers/paths';
import { countColour, decodePng } from './png';
import { highlight, page, THEME } from './render';
import { tokenize } from './textmate';

// The rendered look: the corpus's richest policy (the most distinct scopes)
// highlighted through the grammar with a real theme (shiki, VS Code's Dark+)
// into HTML, screenshotted with headless Chromium. The picture must exist and
// show keywords, strings and comments in different colours. UPDATE_GOLDEN=1
// copies it to grammar/highlighting.png (shown in the README).

const SUITE = 'test/grammar/rendered-look.test.ts';
const { dir, test } = corpusSuite(SUITE);
const PICTURE = join(ROOT, 'grammar', 'highlighting.png');

const chromium = ['chromium', 'chromium-browser'].find((c) => spawnSync(c, ['--version'], { encoding: 'utf8' }).status === 0);
if (!chromium) {
  if (process.env.CI === 'true') throw new Error(`${SUITE}: required when CI=true: no chromium (Debian package chromium)`);
  process.stderr.write(`SKIPPED ${SUITE} screenshot: no chromium on PATH (Debian package chromium); under CI=true this fails\n`);
}

/** The corpus file whose tokens carry the most distinct scopes (among those with comments, strings and rules). */
async function richest(): Promise<string> {
  let best = '';
  let most = -1;
  for (const f of walk(dir).filter((p) => /\.(fms|fpl)$/.test(p) && !p.includes('fragments'))) {
    const scopes = new Set<string>();
    for (const line of await tokenize(readFileSync(f, 'utf8'))) for (const t of line) for (const s of t.scopes) scopes.add(s);
    const has = (prefix: string): boolean => [...scopes].some((s) => s.startsWith(prefix));
    if (!has('comment.line') || !has('string.quoted') || !has('keyword.control.effect')) continue;
    if (scopes.size > most) {
      most = scopes.size;
      best = f;
    }
  }
  return best;
}

test('the richest corpus policy, highlighted and screenshotted, shows keywords, strings and comments in different colours', async () => {
  const file = await richest();
  assert.ok(file, 'a corpus policy with comments, strings and rules');
  process.stdout.write(`  rendered: ${relative(dir, file)}\n`);
  const source = readFileSync(file, 'utf8');
  const { html, tokens, background } = await highlight(source);
  const colourOf = (pred: (text: string) => boolean): string => {
    for (const line of tokens) for (const t of line) if (pred(t.content.trim()) && t.color) return t.color.toLowerCase();
    throw new Error('no such token');
  };
  const keyword = colourOf((t) => /^(permit|deny|defer|deny!)$/.test(t));
  const string = colourOf((t) => /^"[^"]*"$/.test(t));
  const comment = colourOf((t) => t.startsWith('#'));
  const block = colourOf((t) => /^(agent|rules)$/.test(t));
  assert.is(new Set([keyword, string, comment]).size, 3, `${THEME}: keyword ${keyword}, string ${string}, comment ${comment}`);
  assert.is.not(block, string);
  if (!chromium) return;

  const work = mkdtempSync(join(tmpdir(), 'fms-look-'));
  const htmlPath = join(work, 'look.html');
  const png = join(work, 'look.png');
  writeFileSync(htmlPath, page(relative(dir, file), html, background));
  const lines = source.split('\n').length;
  const size = [860, Math.min(4000, 40 + Math.ceil(lines * 21.75))];
  const r = spawnSync(
    chromium,
    ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--force-device-scale-factor=1', `--user-data-dir=${join(work, 'profile')}`, `--screenshot=${png}`, `--window-size=${size.join(',')}`, `file://${htmlPath}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.ok(existsSync(png), `chromium wrote no screenshot (exit ${r.status}): ${r.stderr.split('\n').slice(-3).join(' ')}`);
  const img = decodePng(readFileSync(png));
  assert.equal([img.width, img.height], size);
  const counts = { keyword: countColour(img, keyword), string: countColour(img, string), comment: countColour(img, comment), background: countColour(img, background.toLowerCase(), 2) };
  assert.ok(counts.background > (img.width * img.height) / 2, `background ${background}: ${counts.background} pixels`);
  for (const [what, n] of Object.entries(counts)) assert.ok(n > 30, `${what} colour: only ${n} pixels in the picture (${JSON.stringify(counts)})`);
  if (UPDATE_GOLDEN) copyFileSync(png, PICTURE);
  assert.ok(existsSync(PICTURE), `${relative(ROOT, PICTURE)} is missing: run this test with UPDATE_GOLDEN=1`);
  const committed = decodePng(readFileSync(PICTURE));
  assert.is(committed.width, img.width);
  assert.ok(countColour(committed, keyword) > 30 && countColour(committed, string) > 30 && countColour(committed, comment) > 30, 'the committed picture shows the three colours');
});

test.run();
