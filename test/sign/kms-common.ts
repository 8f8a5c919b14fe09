// Shared helpers of the cloud KMS tests (test/sign/kms-*.test.ts). The CLIs
// run from the bundles in dist/ (`npm run build`), as users run them, in a
// child process whose environment holds ONLY what the test gives it (plus
// PATH and a temporary HOME), so the SDKs' credential chains see exactly the
// files and variables the test sets up. No real cloud account is used.
import { spawn, execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { createServer } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeContainer, decodeEnvelope, MANIFEST_PAYLOAD_TYPE, pae } from '@fms/runtime/format';
import { keyIdOf } from '@fms/runtime/crypto';
import { ed25519Key, makePack } from '../runtime/trust/fixtures';
import { rawToDer } from '../helpers/kms-doubles/server';

export const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary directory. */
export function scratch(prefix = 'fms-kms-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * The environment of a child: PATH, a temporary HOME, no colour, no trust
 * default, AWS instance metadata off (no 1-second probes of 169.254.169.254
 * when a chain runs dry), and `vars`. Nothing else of this process leaks in.
 */
export function isolatedEnv(vars: Record<string, string>, home = scratch('fms-kms-home-')): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1', FMS_TRUST: '', AWS_EC2_METADATA_DISABLED: 'true', ...vars };
}

/** Runs `dist/<cli>.mjs args` with exactly `env` (asynchronously, so doubles in this process keep answering). */
export function runDist(cli: 'fmsc' | 'fms-run', args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<RunResult> {
  const entry = join(ROOT, 'dist', `${cli}.mjs`);
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A pack signed by a throwaway local key, created a minute ago (so `fms-run verify` accepts its validity window). */
export async function freshPack(dir: string): Promise<string> {
  const pack = join(dir, 'p.fmspack');
  writeFileSync(pack, await makePack(ed25519Key(dir, 'local'), { createdAt: new Date(Date.now() - 60_000) }));
  return pack;
}

/**
 * Verifies the signature by `spki`'s key in `packFile` with the openssl
 * command line (not node:crypto, not the runtime): the DSSE PAE of the
 * manifest, SHA-256, ECDSA P-256 (the raw `r||s` converted to DER).
 */
export function opensslVerifies(packFile: string, spki: Uint8Array): boolean {
  const env = decodeEnvelope(decodeContainer(readFileSync(packFile)).envelope);
  const keyId = keyIdOf(spki);
  const sig = env.signatures.find((s) => s.keyid === keyId)?.sig;
  if (!sig) throw new Error(`the pack carries no signature by ${keyId}`);
  const dir = scratch('fms-openssl-');
  writeFileSync(join(dir, 'pub.pem'), createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }).export({ format: 'pem', type: 'spki' }));
  writeFileSync(join(dir, 'msg'), pae(MANIFEST_PAYLOAD_TYPE, env.payload));
  writeFileSync(join(dir, 'sig.der'), rawToDer(Buffer.from(sig)));
  try {
    const out = execFileSync('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'msg')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return /Verified OK/.test(out);
  } catch {
    return false;
  }
}

/** A trust file pinning exactly `spki` (P-256) for every pack name. */
export function trustFileFor(dir: string, spki: Uint8Array, name = 'trust.json'): string {
  const id = keyIdOf(spki);
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ version: 1, keys: [{ id, algorithm: 'ecdsa-p256-sha256', public_key: Buffer.from(spki).toString('base64') }], scopes: [{ prefix: '*', keys: [id], threshold: 1 }] }));
  return file;
}

/** The one line a failed CLI run printed (its stderr must be exactly one line). */
export function oneLineError(r: RunResult): string {
  const lines = r.stderr.trimEnd().split('\n');
  if (lines.length !== 1) throw new Error(`expected a one-line error, got ${lines.length} lines:\n${r.stderr}`);
  return lines[0]!;
}

/** A loopback port nothing listens on. */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

