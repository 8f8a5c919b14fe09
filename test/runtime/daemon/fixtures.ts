// Shared fixtures of the daemon tests: keys, a trust file, signed packs, a
// served pack in-process, and a spawned `fms-run serve`.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { emitPackBody } from '@fms/compiler';
import { generateKeyFile, type Signer } from '@fms/compiler/sign';
import { agent, policy, redact, rule } from '../../helpers/ir-builder';
import { ed25519Key, makePack, tempDir, trustJson } from '../trust/fixtures';
import { adminRequest } from '../../../runtime/src/daemon/client';
import { ROOT } from '../../helpers/paths';

export { tempDir };

/** The policy of the daemon tests: permit `read/*`, defer `pay/*`, deny the rest; `pay/*` args.card redacted. */
export function testBody(extraPermit?: string): Uint8Array {
  const rules = [rule('permit', 'read/*', { line: 10 }), rule('defer', 'pay/*', { line: 11 })];
  if (extraPermit) rules.push(rule('permit', extraPermit, { line: 12 }));
  return emitPackBody(policy(agent('bot', rules, { redactions: [redact('pay/*', ['card'], 20), redact('read/*', ['token'], 21)] })));
}

export interface Setup {
  dir: string;
  packKey: Signer;
  otherKey: Signer;
  /** Pinned for checkpoints (in the trust file's keys). */
  logKeyPath: string;
  /** Not pinned anywhere. */
  rogueKeyPath: string;
  trustPath: string;
  packPath: string;
  /** Writes a signed pack to packPath. */
  writePack(o?: { name?: string; serial?: number; body?: Uint8Array; signer?: Signer }): Promise<Uint8Array>;
}

/** Keys, a trust file pinning the pack key (scope `acme/*`) and the log key, and a first pack (serial 1). */
export async function setup(prefix = 'fms-daemon-'): Promise<Setup> {
  const dir = tempDir(prefix);
  const packKey = ed25519Key(dir, 'pack');
  const otherKey = ed25519Key(dir, 'other');
  const logKeyPath = join(dir, 'log.pem');
  const logKey = generateKeyFile(logKeyPath);
  const rogueKeyPath = join(dir, 'rogue.pem');
  generateKeyFile(rogueKeyPath);
  const trust = trustJson([packKey, otherKey], [{ prefix: 'acme', keys: [packKey] }]);
  (trust['keys'] as unknown[]).push(logKey.trustEntry);
  const trustPath = join(dir, 'trust.json');
  writeFileSync(trustPath, JSON.stringify(trust));
  const packPath = join(dir, 'pack.fmspack');
  const s: Setup = {
    dir,
    packKey,
    otherKey,
    logKeyPath,
    rogueKeyPath,
    trustPath,
    packPath,
    async writePack(o = {}) {
      const bytes = await makePack(o.signer ?? packKey, { name: o.name ?? 'acme/payments', serial: o.serial ?? 1, body: o.body ?? testBody(), createdAt: new Date(Date.now() - 60_000) });
      writeFileSync(packPath, bytes);
      return bytes;
    },
  };
  await s.writePack();
  return s;
}

export interface Served {
  child: ChildProcess;
  socket: string;
  admin: string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Spawns `fms-run serve` (from the sources through tsx, or the bundled
 * `dist/fms-run.mjs` with `bundled`: what users run, and what load is measured on)
 * and waits until its admin socket says ready.
 */
export async function spawnServe(s: Setup, extra: string[] = [], socketName = 'd.sock', bundled = false): Promise<Served> {
  const socket = join(s.dir, socketName);
  const bundle = join(ROOT, 'dist/fms-run.mjs');
  if (bundled && !existsSync(bundle)) throw new Error(`${bundle} is missing: run \`npm run build\` first`);
  const entry = bundled ? [bundle] : ['--import', 'tsx', join(ROOT, 'runtime/src/cli/fms-run.ts')];
  const child = spawn(process.execPath, [...entry, 'serve', s.packPath, '--socket', socket, '--trust', s.trustPath, '--state-dir', join(s.dir, 'state'), ...extra], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FMS_TRUST: '' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const admin = `${socket}.admin`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`fms-run serve exited ${child.exitCode}: ${err}`);
    try {
      const st = await adminRequest(admin, { op: 'status' }, 2000);
      if (st['ready']) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`fms-run serve did not become ready: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, socket, admin, stderr: () => err, exited };
}

/** Sends `text` on a fresh connection and collects `n` answer lines. */
export function exchange(socket: string, text: string | Buffer, n: number, halfClose = false): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const c = createConnection(socket);
    let buf = '';
    const out: unknown[] = [];
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`timeout: got ${out.length}/${n} lines: ${buf.slice(0, 200)}`));
    }, 10_000);
    c.setEncoding('utf8');
    c.on('data', (d: string) => {
      buf += d;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        out.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
        if (out.length === n) {
          clearTimeout(t);
          c.destroy();
          resolve(out);
        }
      }
    });
    c.on('error', reject);
    c.write(text);
    if (halfClose) c.end();
  });
}

