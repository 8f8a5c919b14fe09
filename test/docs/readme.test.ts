// Doc tests: the README stays true. A ```sh block right after a
// `<!-- doctest -->` line runs (bash -e, in one scratch folder shared by the
// blocks in README order, with dist/ on PATH and an empty home); a ```text
// block right after `<!-- output -->` that follows it lists lines its output
// must contain, in order. `<!-- doctest: needs softhsm2 -->` blocks skip loudly
// without SoftHSM2 (fail under CI=true). The fixture example of "Fixtures" is
// run as a fixture. Blocks without a marker are examples only.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
};

interface Block {
  needs?: string;
  code: string;
  output?: string[];
  line: number;
}

/** The marked blocks of the README, in order. */
export function doctests(text: string): Block[] {
  const out: Block[] = [];
  const re = /<!-- doctest(?:: needs ([\w-]+))? -->\n```sh\n([\s\S]*?)```\n(?:\n<!-- output -->\n```text\n([\s\S]*?)```\n)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push({
      ...(m[1] ? { needs: m[1] } : {}),
      code: m[2],
      ...(m[3] ? { output: m[3].split('\n').filter((l) => l.trim() !== '') } : {}),
      line: text.slice(0, m.index).split('\n').length,
    });
  }
  return out;
}

const blocks = doctests(README);
let cwd = work;

test('the README has doc-tested blocks (quickstart and PKCS#11)', () => {
  assert.ok(blocks.length >= 2, `${blocks.length} doctest blocks`);
  assert.match(README, /<!-- doctest -->\n```sh\nfmsc init hello/);
});

for (const b of blocks) {
  test(`README line ${b.line}: the block runs as written${b.needs ? ` (needs ${b.needs})` : ''}`, () => {
    if (b.needs === 'softhsm2' && !(existsSync('/usr/lib/softhsm/libsofthsm2.so') && spawnSync('pkcs11-tool', ['--version']).error === undefined)) {
      if (process.env.CI === 'true') assert.unreachable('SoftHSM2/OpenSC are required under CI=true');
      process.stderr.write(`SKIPPED README line ${b.line}: SoftHSM2 or pkcs11-tool missing (scripts/install-system-deps.sh installs them)\n`);
      return;
    }
    // The blocks share one shell story: a block's last `cd` carries to the next.
    const r = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', `${b.code}\necho "@@cwd=$PWD"`], { cwd, env, encoding: 'utf8', timeout: 120_000 });
    assert.is(r.status, 0, `README line ${b.line}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
    const m = /@@cwd=(.*)\n$/.exec(r.stdout);
    if (m) cwd = m[1];
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
  const fx = join(cwd, 'example.fmtest.json');
  writeFileSync(fx, m[1].replace('"../schemas/fmtest.schema.json"', JSON.stringify(join(ROOT, 'schemas/fmtest.schema.json'))));
  assert.ok(existsSync(join(cwd, 'governance.fms')), 'the quickstart ran first');
  const r = spawnSync('fmsc', ['test', 'example.fmtest.json'], { cwd, env, encoding: 'utf8' });
  assert.is(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 passed, 0 failed/);
});

test.run();
