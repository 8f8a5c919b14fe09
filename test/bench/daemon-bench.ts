// Decision daemon throughput (`fms-run serve`, the bundled dist/fms-run.mjs):
// sequential round trips from one client, and pipelined requests (one
// connection with 256 in flight; 32 connections with 64 each), without and
// with the decision log (signed checkpoints every 1000 records). Unix socket
// only. Run alone: node --import tsx test/bench/daemon-bench.ts (needs dist/
// from npm run build); `npm run bench` runs it after the main table.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, emitPackBody } from '@fms/compiler';
import { createSignedPack, generateKeyFile, localEd25519Signer } from '@fms/compiler/sign';
import { DecisionClient, adminRequest } from '@fms/runtime/daemon';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE = `agent "bot" {
  default deny
  rules {
    deny! shell/*
    permit read/* if args.size < 1000000
    defer pay/*
  }

  redact read/* args: ["token"]
}
`;

async function serve(dir: string, extra: string[]): Promise<{ socket: string; stop: () => Promise<void> }> {
  const socket = join(dir, `s${Math.random().toString(36).slice(2, 8)}.sock`);
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'fms-run.mjs'), 'serve', join(dir, 'p.fmspack'), '--socket', socket, '--trust', join(dir, 'trust.json'), '--no-state', ...extra], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  for (let i = 0; ; i++) {
    try {
      if ((await adminRequest(`${socket}.admin`, { op: 'status' }, 1000))['ready']) break;
    } catch {
      if (i > 200) throw new Error(`serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    socket,
    stop: () =>
      new Promise((r) => {
        child.on('exit', () => r());
        child.kill('SIGTERM');
      }),
  };
}

const call = { agent: 'bot', tool: 'read/file', args: { size: 10, token: 't' } };

async function sequential(socket: string, ms: number): Promise<number> {
  const c = await DecisionClient.connect(socket);
  for (let i = 0; i < 2000; i++) await c.decide(call);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    await c.decide(call);
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  c.close();
  return rate;
}

async function pipelined(socket: string, conns: number, window: number, total: number): Promise<number> {
  const cs = await Promise.all(Array.from({ length: conns }, () => DecisionClient.connect(socket)));
  const per = Math.floor(total / conns);
  const t0 = performance.now();
  await Promise.all(
    cs.map(async (c) => {
      for (let b = 0; b < per; b += window) await Promise.all(Array.from({ length: Math.min(window, per - b) }, () => c.decide(call)));
    }),
  );
  const rate = (per * conns) / ((performance.now() - t0) / 1000);
  for (const c of cs) c.close();
  return rate;
}

/** Rows for `npm run bench`. */
export async function benchDaemon(): Promise<Array<{ name: string; value: string }>> {
  if (!existsSync(join(ROOT, 'dist', 'fms-run.mjs'))) throw new Error('dist/fms-run.mjs is missing: npm run build');
  const dir = mkdtempSync(join(tmpdir(), 'fms-bench-daemon-'));
  const r = compile(SOURCE, 'governance.fms', { env: {} });
  if (!r.ir) throw new Error(`bench policy does not compile: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  const keyPath = join(dir, 'k.pem');
  const key = generateKeyFile(keyPath);
  const signer = localEd25519Signer(keyPath);
  const bytes = await createSignedPack({ body: emitPackBody(r.ir), name: 'bench/daemon', serial: 1, createdAt: new Date(Date.now() - 60_000), sourceSha256: '0'.repeat(64), signer });
  writeFileSync(join(dir, 'p.fmspack'), bytes);
  writeFileSync(join(dir, 'trust.json'), JSON.stringify({ version: 1, keys: [key.trustEntry], scopes: [{ prefix: '*', keys: [key.keyId], threshold: 1 }] }));
  const fmt = (x: number): string => `${Math.round(x).toLocaleString('en-US')} /s`;
  const rows: Array<{ name: string; value: string }> = [];
  for (const [label, extra] of [
    ['no log', []],
    ['with log + checkpoints', ['--log', join(dir, 'd.log'), '--log-key', `file:${keyPath}`]],
  ] as const) {
    const s = await serve(dir, [...extra]);
    try {
      rows.push({ name: `sequential round trips, 1 client (${label})`, value: fmt(await sequential(s.socket, 2000)) });
      rows.push({ name: `pipelined, 1 connection × 256 in flight (${label})`, value: fmt(await pipelined(s.socket, 1, 256, 100_000)) });
      rows.push({ name: `pipelined, 32 connections × 64 in flight (${label})`, value: fmt(await pipelined(s.socket, 32, 64, 128_000)) });
    } finally {
      await s.stop();
    }
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log('\ndecision daemon (fms-run serve, Unix socket)');
  for (const r of await benchDaemon()) console.log(`  ${r.name}: ${r.value}`);
}
