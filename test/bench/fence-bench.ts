// Kernel-fence start-up benchmark: the time to start `/bin/true` plainly,
// under `fms-exec` with an agent's full profile (Landlock + seccomp), and under
// `bwrap` (Debian bubblewrap) with an equivalent policy (read-only /usr and
// /etc, one writable folder, no network, own PID namespace), interleaved, in one
// run; plus the whole `fms-run exec` (Node start, pack verification, spawn).
// Run alone: node --import tsx test/bench/fence-bench.ts (needs dist/ from npm run build).
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile } from '@fms/compiler';
import { emitPackBody } from '@fms/compiler';
import { agentFences } from '@fms/compiler';
import { createSignedPack } from '@fms/compiler/sign';
import { generateKeyFile, localEd25519Signer } from '@fms/compiler/sign';
import { encodeExecProfile } from '@fms/runtime/os';
import { hostArch } from '@fms/runtime/os';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const RUNS = 200;
const TOTAL_RUNS = 15;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeMs(f: () => void): number {
  const t0 = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** Rows for `npm run bench`; explains itself when something it needs is missing. */
export async function benchFence(): Promise<Array<{ name: string; value: string }>> {
  const arch = hostArch();
  const loader = join(ROOT, 'dist', 'fms-exec');
  const fmsRun = join(ROOT, 'dist', 'fms-run.mjs');
  if (!arch) return [{ name: 'skipped', value: `no kernel fence on ${process.platform}/${process.arch}` }];
  if (!existsSync(loader) || !existsSync(fmsRun)) return [{ name: 'skipped', value: 'dist/fms-exec or dist/fms-run.mjs missing: run npm run build' }];
  const dir = mkdtempSync(join(tmpdir(), 'fms-bench-fence-'));
  const work = join(dir, 'work');
  mkdirSync(work);
  const src = `agent "bench" {
  default deny
  enforcement {
    profile = "full"
    fs_read = ["/usr", "/etc", "/lib", "/lib64", "/bin"]
    fs_write = ["${work}"]
    fs_exec = ["/usr", "/lib", "/lib64", "/bin"]
  }
}`;
  const ir = compile(src, 'governance.fms', { env: {} }).ir!;
  const body = emitPackBody(ir);
  const profileFile = join(dir, 'profile.bin');
  writeFileSync(profileFile, encodeExecProfile(agentFences(ir)[0]!, arch));
  const keyFile = join(dir, 'k.pem');
  generateKeyFile(keyFile);
  const signer = localEd25519Signer(keyFile);
  const pack = join(dir, 'p.fmspack');
  writeFileSync(pack, await createSignedPack({ body, name: 'bench/fence', serial: 1, createdAt: new Date(Date.now() - 60_000), sourceSha256: '0'.repeat(64), signer }));
  const trust = join(dir, 'trust.json');
  writeFileSync(trust, JSON.stringify({ version: 1, keys: [{ id: signer.keyId, algorithm: signer.algorithm, public_key: Buffer.from(signer.publicKeySpki).toString('base64') }], scopes: [{ prefix: '*', keys: [signer.keyId], threshold: 1 }] }));

  const plain = () => spawnSync('/bin/true', [], { stdio: 'ignore' });
  const fenced = () => {
    const fd = openSync(profileFile, 'r');
    const r = spawnSync(loader, ['-q', '3', '/bin/true'], { stdio: ['ignore', 'ignore', 'inherit', fd] });
    closeSync(fd);
    if (r.status !== 0) throw new Error('fms-exec failed');
  };
  const bwrapArgs = ['--ro-bind', '/usr', '/usr', '--ro-bind', '/etc', '/etc', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--symlink', 'usr/bin', '/bin', '--proc', '/proc', '--dev', '/dev', '--bind', work, work, '--unshare-net', '--unshare-pid', '--die-with-parent', '/bin/true'];
  const hasBwrap = spawnSync('bwrap', bwrapArgs, { stdio: 'ignore' }).status === 0;
  const bwrap = () => spawnSync('bwrap', bwrapArgs, { stdio: 'ignore' });
  const ts = { plain: [] as number[], fenced: [] as number[], bwrap: [] as number[] };
  for (let i = 0; i < 10; i++) (plain(), fenced(), hasBwrap && bwrap());
  for (let i = 0; i < RUNS; i++) {
    ts.plain.push(timeMs(plain));
    ts.fenced.push(timeMs(fenced));
    if (hasBwrap) ts.bwrap.push(timeMs(bwrap));
  }
  const total: number[] = [];
  for (let i = 0; i < TOTAL_RUNS; i++) {
    total.push(
      timeMs(() => {
        const r = spawnSync(process.execPath, [fmsRun, 'exec', pack, '--agent', 'bench', '--trust', trust, '--', '/bin/true'], { stdio: 'ignore', env: { ...process.env, FMS_STATE_DIR: join(dir, 'state') } });
        if (r.status !== 0) throw new Error('fms-run exec failed');
      }),
    );
  }
  const p = median(ts.plain);
  const f = median(ts.fenced);
  const rows = [
    { name: 'plain exec of /bin/true (median of 200)', value: `${p.toFixed(2)} ms` },
    { name: 'under fms-exec, profile full (Landlock + seccomp)', value: `${f.toFixed(2)} ms (+${(f - p).toFixed(2)} ms; target <= 1 ms added)` },
  ];
  if (hasBwrap) {
    const b = median(ts.bwrap);
    rows.push({ name: 'under bwrap, equivalent policy (--unshare-net --unshare-pid, ro /usr /etc, one rw folder)', value: `${b.toFixed(2)} ms (+${(b - p).toFixed(2)} ms)` });
  } else rows.push({ name: 'bwrap', value: 'not available (apt-get install bubblewrap) or not permitted here' });
  rows.push({ name: 'fms-run exec total: node start + pack verification + fms-exec + /bin/true (median of 15)', value: `${median(total).toFixed(1)} ms` });
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const r of await benchFence()) console.log(`  ${r.name}: ${r.value}`);
}
