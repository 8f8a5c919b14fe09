import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ROOT } from '../helpers/paths';
import { buildExtension, EXT } from './build';
import { createStandIn, interceptVscode } from './vscode-stand-in';

// Loads the BUNDLED extension entry (dist/extension.js, CommonJS) with a
// stand-in for `vscode` and checks what `activate` registers: every command
// the manifest declares, the fixture Test Explorer controller, and a language
// client started on the bundled server path.

interface Manifest {
  main: string;
  contributes: { commands: { command: string }[] };
}

/** A copy of the built extension in a temporary folder, with `dist/server.js` present or not. */
function extensionCopy(withServer: boolean): string {
  buildExtension();
  const dir = mkdtempSync(join(tmpdir(), 'fms-ext-'));
  mkdirSync(join(dir, 'dist'), { recursive: true });
  copyFileSync(join(EXT, 'package.json'), join(dir, 'package.json'));
  copyFileSync(join(EXT, 'dist', 'extension.js'), join(dir, 'dist', 'extension.js'));
  if (withServer) writeFileSync(join(dir, 'dist', 'server.js'), '// stand-in server: never started by this test\n');
  return dir;
}

type Ext = {
  activate(ctx: unknown): void;
  deactivate(): unknown;
  internals: { createClient: (serverModule: string, settings: unknown, output: unknown) => { start(): Promise<void>; stop(): Promise<void> } };
  SERVER_RELATIVE_PATH: string;
};

function load(dir: string, vscode: unknown): Ext {
  const restore = interceptVscode(vscode);
  try {
    return createRequire(join(dir, 'package.json'))('./dist/extension.js') as Ext;
  } finally {
    restore();
  }
}

const context = (dir: string) => ({ subscriptions: [] as { dispose(): void }[], asAbsolutePath: (p: string) => join(dir, p), extensionPath: dir });

test('activate registers every declared command and the fixture controller, and starts the client on the bundled server', async () => {
  const dir = extensionCopy(true);
  const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
  assert.is(manifest.main, './dist/extension.js');
  const { vscode, recorded } = createStandIn();
  const restore = interceptVscode(vscode);
  try {
    const ext = load(dir, vscode);
    const started: { serverModule: string; client: unknown }[] = [];
    const real = ext.internals.createClient;
    ext.internals.createClient = (serverModule, settings, output) => {
      // The real LanguageClient is constructed (against the stand-in) but not started: no process is spawned.
      const client = real(serverModule, settings, output);
      started.push({ serverModule, client });
      return { start: async () => {}, stop: async () => {} };
    };
    const ctx = context(dir);
    ext.activate(ctx);
    const declared = manifest.contributes.commands.map((c) => c.command).sort();
    assert.equal([...recorded.commands.keys()].sort(), declared);
    assert.ok(declared.length >= 6);
    for (const want of ['fms.check', 'fms.format', 'fms.buildPack', 'fms.inspectPack', 'fms.runFixtures', 'fms.showOutput']) assert.ok(declared.includes(want), want);
    assert.is(started.length, 1);
    assert.is(started[0]!.serverModule, join(dir, ext.SERVER_RELATIVE_PATH));
    assert.is(started[0]!.serverModule, join(dir, 'dist', 'server.js'));
    const client = started[0]!.client as { name?: string; _serverOptions?: { run?: { module?: string; transport?: number } } };
    assert.is(client._serverOptions?.run?.module, join(dir, 'dist', 'server.js'));
    assert.is(client._serverOptions?.run?.transport, 1, 'TransportKind.ipc');
    assert.equal(recorded.testControllers.map((c) => [c.id, c.profiles]), [['fmsFixtures', ['Run']]]);
    assert.equal(recorded.watchers, ['**/*.fmtest.json']);
    assert.ok(ctx.subscriptions.length >= declared.length + 2);
    for (const s of ctx.subscriptions) s.dispose();
    assert.is(recorded.commands.size, 0, 'every command is disposed with the extension');
  } finally {
    restore();
  }
});

test('without a bundled server, activate says so in one line and still registers the commands', () => {
  const dir = extensionCopy(false);
  const { vscode, recorded } = createStandIn();
  const ext = load(dir, vscode);
  let created = 0;
  ext.internals.createClient = () => {
    created++;
    return { start: async () => {}, stop: async () => {} };
  };
  ext.activate(context(dir));
  assert.is(created, 0);
  assert.is(recorded.commands.size, 6);
  assert.ok(recorded.lines.some((l) => l.startsWith('no language server in this build')), recorded.lines.join('\n'));
});

test('FPL: Run Fixtures runs every fixture case through fmsc and reports each case to the Test Explorer', async () => {
  const dir = extensionCopy(false);
  const ws = mkdtempSync(join(tmpdir(), 'fms-ws-'));
  writeFileSync(join(ws, 'governance.fms'), 'agent bot {\n  default deny\n  rules {\n    permit read/*\n  }\n}\n');
  const fixture = join(ws, 'bot.fmtest.json');
  writeFileSync(fixture, JSON.stringify({ agent_id: 'bot', cases: [
    { name: 'read is permitted', tool: 'read/x', expect: { effect: 'permit' } },
    { name: 'toString', tool: 'write/x', expect: { effect: 'deny' } },
    { name: 'write is wrongly expected to pass', tool: 'write/x', expect: { effect: 'permit' } },
  ] }, null, 2));
  const fmsc = join(ws, 'fmsc');
  writeFileSync(fmsc, `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'dist', 'fmsc.mjs')}" "$@"\n`, { mode: 0o755 });
  const { vscode, recorded, control } = createStandIn();
  control.set('fmscPath', fmsc);
  control.folders([ws]);
  control.fixtures([fixture]);
  const ext = load(dir, vscode);
  ext.activate(context(dir));
  await recorded.commands.get('fms.runFixtures')!();
  const id = (name: string) => `file://${fixture}#${name}`;
  assert.equal(recorded.runs.filter(([e]) => e !== 'started').map(([e, i, m]) => [e, i, m?.split('\n')[0]]), [
    ['passed', id('read is permitted'), undefined],
    ['passed', id('toString'), undefined],
    ['failed', id('write is wrongly expected to pass'), 'expected: PERMIT'],
    ['end', '', undefined],
  ]);
  assert.is(recorded.runs.filter(([e]) => e === 'started').length, 3);
});

test.run();
