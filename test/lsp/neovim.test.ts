/**
 * A third-party client: headless Neovim (Debian package) starts the bundled
 * `fms-lsp --stdio` for `*.fms`, receives the diagnostics of a file with an
 * error at the right line and column, and sees them clear after a fix (an
 * incremental change sent by Neovim). Skips loudly when `nvim` is missing;
 * under CI=true a missing `nvim` is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/paths';
import { SERVER } from './lsp-client';

const NVIM = spawnSync('nvim', ['--version'], { encoding: 'utf8' });
const HAVE_NVIM = NVIM.status === 0;
const HERE = join(ROOT, 'test/lsp/nvim');

if (!HAVE_NVIM) {
  if (process.env.CI === 'true') throw new Error('nvim is missing: the Neovim client test must run under CI (install the Debian package `neovim`)');
  process.stderr.write('SKIPPED test/lsp/neovim.test.ts: `nvim` is not installed (Debian package `neovim`); under CI=true this fails\n');
}

const run = HAVE_NVIM ? test : test.skip;

run('Neovim receives diagnostics at the right line and column, then sees them clear', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fms-nvim-'));
  try {
    const file = join(dir, 'governance.fms');
    writeFileSync(file, 'agent "bot" {\n  default deny\n  rules {\n    permit ticket/read\n  }\n  # the next line has a typo\n  defualt deny\n}\n');
    const out = join(dir, 'out.jsonl');
    writeFileSync(out, '');
    const r = spawnSync('nvim', ['--headless', '-u', 'NONE', '-i', 'NONE', '-n', '-c', `luafile ${join(HERE, 'init.lua')}`, '-c', `edit ${file}`, '-c', `luafile ${join(HERE, 'scenario.lua')}`], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, FMS_NVIM_OUT: out, FMS_NODE: process.execPath, FMS_LSP: SERVER, XDG_STATE_HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, FMS_REGISTRY: join(dir, 'registry') },
    });
    const log = readFileSync(out, 'utf8').trim().split('\n');
    assert.ok(log.includes('PHASE errors true'), `no diagnostics arrived: ${log.join('\n')}\n${r.stderr}`);
    assert.ok(log.includes('PHASE cleared true'), `diagnostics did not clear: ${log.join('\n')}\n${r.stderr}`);
    const firstWithErrors = log.map((l) => (l.startsWith('{') ? JSON.parse(l) : undefined)).find((p) => p && p.diagnostics.length);
    const d = firstWithErrors.diagnostics.find((x: { code: string }) => x.code === 'FMS2002');
    assert.ok(d, JSON.stringify(firstWithErrors));
    assert.equal(d.range.start, { line: 6, character: 2 });
    assert.equal(d.range.end, { line: 6, character: 9 });
    process.stdout.write(`\n  neovim: ${NVIM.stdout.split('\n')[0]}, ${log.length} notifications/phases recorded\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
