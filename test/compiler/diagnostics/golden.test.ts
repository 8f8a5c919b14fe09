import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '../../../compiler/src/compile';
import { CATALOGUE } from '../../../compiler/src/diagnostics/catalogue';
import { renderText } from '../../../compiler/src/diagnostics/render';
import { registryResolver } from '../../../compiler/src/cli/registry';
import { expectGolden } from '../../helpers/golden';
import { ROOT } from '../../helpers/paths';

const DIR = join(ROOT, 'test/fixtures/diagnostics');
const fixtures = readdirSync(DIR).filter((f) => /^FMS\d{4}\.fms$/.test(f)).sort();

for (const f of fixtures) {
  const code = f.slice(0, 7);
  test(`${code}: fixture triggers it and renders as the golden file`, () => {
    const file = join(DIR, f);
    const text = readFileSync(file, 'utf8');
    const name = `fixtures/${f}`;
    const prev = process.cwd();
    process.chdir(ROOT);
    let result;
    try {
      // A fixture whose first line mentions `--locked` is compiled in locked mode.
      const locked = text.split('\n', 1)[0]!.includes('--locked');
      result = compile(text, name, { env: {}, resolveImport: registryResolver(join(DIR, 'registry'), file, { locked }) });
    } finally {
      process.chdir(prev);
    }
    const codes = result.diagnostics.map((d) => d.code);
    assert.ok(codes.includes(code), `${f} should report ${code}, got ${codes.join(', ') || 'nothing'}`);
    const rendered = renderText(result.diagnostics, new Map([[name, text]]));
    const golden = join(DIR, `${code}.txt`);
    expectGolden(golden, rendered);
  });
}

test('the catalogue, the fixtures and `fmsc explain --list` name the same codes', () => {
  const catalogue = CATALOGUE.map((c) => c.code).sort();
  assert.equal(fixtures.map((f) => f.slice(0, 7)), catalogue);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'compiler/src/cli/fmsc.ts', 'explain', '--list'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0, r.stderr);
  const listed = r.stdout.trim().split('\n').map((l) => l.slice(0, 7)).sort();
  assert.equal(listed, catalogue);
  for (const c of CATALOGUE) assert.ok(c.explanation.length > 40 && c.example.length > 0, `${c.code} needs an explanation and an example`);
});

test('`fmsc explain CODE` prints the paragraph and the example; unknown codes exit 2', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'compiler/src/cli/fmsc.ts', 'explain', 'FMS2003'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.is(r.status, 0);
  assert.match(r.stdout, /FMS2003 \(error\)/);
  assert.match(r.stdout, /default maybe/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'compiler/src/cli/fmsc.ts', 'explain', 'FMS2999'], { cwd: ROOT, encoding: 'utf8' });
  assert.is(bad.status, 2);
  assert.match(bad.stderr, /unknown diagnostic code/);
});

test.run();
