// Doc tests: the README stays true. Every ```sh block of README.md carries a
// marker on the line before it (blank lines between are allowed):
//   <!-- doctest -->                  the block runs (see below);
//   <!-- doctest: needs softhsm2 -->  runs when SoftHSM2/OpenSC are installed,
//                                     else skips loudly (fails under CI=true);
//   <!-- example-only: REASON -->     not run, for the reason given (root,
//                                     credentials, a server that runs until
//                                     stopped, a synopsis with placeholders…).
// An unmarked block fails the test with its line. A doctest runs with
// `bash -e -o pipefail`, in one scratch folder laid out like a checkout after
// README command 1 (`dist/` linked to the repository's, a copy of `examples/`
// with the example pack built by `fmsc build`), with `dist/` on PATH and an
// empty home; the blocks share that folder in README order and a block's last
// `cd` carries to the next. A ```text block right after `<!-- output -->`
// following a doctest lists lines its stdout must contain, in order. The
// fixture example of "Fixtures" is run as a fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../helpers/paths';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const work = mkdtempSync(join(tmpdir(), 'fms-readme-'));
const home = mkdtempSync(join(tmpdir(), 'fms-readme-home-'));
const env: NodeJS.ProcessEnv = {
  PATH: `${join(ROOT, 'dist')}:${process.env.PATH ?? ''}`,
  HOME: home,
  NO_COLOR: '1',
  LANG: 'C.UTF-8',
  CI: '',
};

/** One ```sh block of the README and its marker. */
export interface ShBlock {
  /** 1-based line of the opening fence. */
  line: number;
  code: string;
  marker: { kind: 'doctest'; needs?: string } | { kind: 'example-only'; reason: string } | { kind: 'none'; found: string };
  /** Lines the output must contain, in order (`<!-- output -->` ```text block after it). */
  output?: string[];
}

const DOCTEST = /^<!-- doctest(?:: needs ([\w-]+))? -->$/;
const EXAMPLE_ONLY = /^<!-- example-only: (\S.*?) -->$/;

/** Every ```sh block of a Markdown text, with the marker before it (outside other fenced blocks). */
export function shBlocks(text: string): ShBlock[] {
  const lines = text.split('\n');
  const out: ShBlock[] = [];
  let lastText = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    const fence = /^(`{3,})(\S*)/.exec(l);
    if (!fence) {
      if (l.trim() !== '') lastText = l.trim();
      continue;
    }
    // Find the closing fence.
    let j = i + 1;
    while (j < lines.length && !lines[j]!.startsWith(fence[1]!)) j++;
    if (fence[2] === 'sh') {
      const d = DOCTEST.exec(lastText);
      const e = EXAMPLE_ONLY.exec(lastText);
      const block: ShBlock = {
        line: i + 1,
        code: lines.slice(i + 1, j).join('\n') + '\n',
        marker: d ? { kind: 'doctest', ...(d[1] ? { needs: d[1] } : {}) } : e ? { kind: 'example-only', reason: e[1]! } : { kind: 'none', found: lastText },
      };
      // An `<!-- output -->` text block right after it.
      let k = j + 1;
      while (k < lines.length && lines[k]!.trim() === '') k++;
      if (lines[k] === '<!-- output -->' && lines[k + 1] === '```text') {
        let m = k + 2;
        while (m < lines.length && lines[m] !== '```') m++;
        block.output = lines.slice(k + 2, m).filter((x) => x.trim() !== '');
      }
      out.push(block);
    }
    lastText = '';
    i = j;
  }
  return out;
}

const blocks = shBlocks(README);

test('every ```sh block of the README is a doctest or says why it is an example only', () => {
  const unmarked = blocks.filter((b) => b.marker.kind === 'none');
  assert.equal(
    unmarked.map((b) => `README.md:${b.line}: a \`\`\`sh block without <!-- doctest --> or <!-- example-only: REASON --> before it`),
    [],
  );
  assert.ok(blocks.filter((b) => b.marker.kind === 'doctest').length >= 4, 'the quickstart, the commands and the runtime examples run');
  assert.match(README, /<!-- doctest -->\n```sh\nfmsc init hello/);
});

test('the marker parser: unmarked, example-only with a reason, output blocks, other fences', () => {
  const md = [
    '<!-- example-only: needs root -->', '```sh', 'sudo x', '```', '',
    'text', '```sh', 'y', '```',
    '<!-- doctest -->', '', '```sh', 'echo hi', '```', '', '<!-- output -->', '```text', 'hi', '```',
    '<!-- example-only: -->', '```sh', 'z', '```',
    '```md', '<!-- doctest -->', '```', '```sh', 'w', '```',
  ].join('\n');
  const b = shBlocks(md);
  assert.equal(b.map((x) => [x.line, x.marker.kind]), [[2, 'example-only'], [7, 'none'], [12, 'doctest'], [21, 'none'], [27, 'none']]);
  assert.equal(b[2]!.output, ['hi']);
  assert.is(b[0]!.marker.kind === 'example-only' && b[0]!.marker.reason, 'needs root');
});

// The scratch checkout: what README command 1 leaves behind, without reinstalling.
let cwd = work;
test('the scratch checkout builds the example pack (the end of README command 1)', () => {
  symlinkSync(join(ROOT, 'dist'), join(work, 'dist'));
  cpSync(join(ROOT, 'examples'), join(work, 'examples'), { recursive: true });
  const r = spawnSync(process.execPath, ['dist/fmsc.mjs', 'build', 'examples/support-bot/governance.fms'], { cwd: work, env, encoding: 'utf8' });
  assert.is(r.status, 0, r.stderr);
});

for (const b of blocks) {
  if (b.marker.kind !== 'doctest') continue;
  const needs = b.marker.needs;
  test(`README line ${b.line}: the block runs as written${needs ? ` (needs ${needs})` : ''}`, () => {
    if (needs === 'softhsm2' && !(existsSync('/usr/lib/softhsm/libsofthsm2.so') && spawnSync('pkcs11-tool', ['--version']).error === undefined)) {
      if (process.env.CI === 'true') assert.unreachable('SoftHSM2/OpenSC are required under CI=true');
      process.stderr.write(`SKIPPED README line ${b.line}: SoftHSM2 or pkcs11-tool missing (scripts/install-system-deps.sh installs them)\n`);
      return;
    }
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', `${b.code}\necho "@@cwd=$PWD"`], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `README line ${b.line}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const m = /@@cwd=(.*)\n$/.exec(r.stdout);
    if (m) cwd = m[1]!;
    let from = 0;
    for (const want of b.output ?? []) {
      const at = r.stdout.indexOf(want.trimEnd(), from);
      assert.ok(at >= 0, `README line ${b.line}: output lacks ${JSON.stringify(want)} (in order)\n${r.stdout}`);
      from = at + want.length;
    }
  });
}

test('the fixture example of "Fixtures" passes against the quickstart policy', () => {
  const m = /### Fixtures\n[\s\S]*?```json\n([\s\S]*?)```/.exec(README);
  assert.ok(m, 'a json block under ### Fixtures');
  const dir = join(work, 'hello');
  const fx = join(dir, 'example.fmtest.json');
  writeFileSync(fx, m[1]!.replace('"../schemas/fmtest.schema.json"', JSON.stringify(join(ROOT, 'schemas/fmtest.schema.json'))));
  assert.ok(existsSync(join(dir, 'governance.fms')), 'the quickstart ran first');
  const r = spawnSync('fmsc', ['test', 'example.fmtest.json'], { cwd: dir, env, encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 passed, 0 failed/);
});

test.run();
