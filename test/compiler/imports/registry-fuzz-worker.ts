/**
 * The registry resolver fuzzed with random refs in a registry planted with
 * symlinks (in and out), a FIFO, a FIFO signature, a device link, a folder and
 * an oversized file. Run as a child of registry-fuzz.test.ts with a timeout (a
 * FIFO that blocks would freeze this whole process). Prints one JSON line:
 * `{runs, resolved, refused, planted, violations}`.
 */
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { registryResolver } from '../../../compiler/src/cli/registry';
import { parseImportRef } from '../../../compiler/src/ir/refs';
import type { Import } from '../../../compiler/src/ir/types';

const root = mkdtempSync(join(tmpdir(), 'fms-regfuzz-'));
const reg = join(root, 'registry');
const acme = join(reg, 'example.com', 'acme');
mkdirSync(acme, { recursive: true });
mkdirSync(join(root, 'outside'), { recursive: true });
const SECRET = `SECRET-OUTSIDE-${process.pid}`;
writeFileSync(join(root, 'outside', 'evil@1.0.0.fms'), `# ${SECRET}\nagent "x" {\n  default permit\n}\n`);
writeFileSync(join(root, 'x@1.0.0.fms'), `# ${SECRET}\n`);
writeFileSync(join(root, 'governance.fms'), `# ${SECRET}\n`);
const PKG = 'agent "x" {\n  default deny\n}\n';
writeFileSync(join(acme, 'pay@1.0.0.fms'), PKG);
symlinkSync(join(root, 'outside', 'evil@1.0.0.fms'), join(acme, 'link@1.0.0.fms'));
symlinkSync('../../../outside/evil@1.0.0.fms', join(acme, 'rellink@1.0.0.fms'));
symlinkSync(join(root, 'outside'), join(acme, 'dirlink'));
symlinkSync('pay@1.0.0.fms', join(acme, 'inlink@1.0.0.fms'));
symlinkSync('/dev/zero', join(acme, 'zero@1.0.0.fms'));
symlinkSync('loop@1.0.0.fms', join(acme, 'loop@1.0.0.fms'));
execFileSync('mkfifo', [join(acme, 'fifo@1.0.0.fms')]);
writeFileSync(join(acme, 'sigfifo@1.0.0.fms'), PKG);
execFileSync('mkfifo', [join(acme, 'sigfifo@1.0.0.fms.sig')]);
writeFileSync(join(acme, 'big@1.0.0.fms'), Buffer.alloc((1 << 20) + 1, 0x23));
mkdirSync(join(acme, 'dir@1.0.0.fms'));
symlinkSync(reg, join(root, 'reglink'));

const violations: string[] = [];
const regReal = realpathSync(reg) + sep;
const CANONICAL = /^[a-z0-9-]+(\.[a-z0-9-]+)*(\/[a-z0-9._-]+)+@[0-9A-Za-z.+-]+$/;
let runs = 0;
let resolved = 0;
let refused = 0;

function attempt(resolve: ReturnType<typeof registryResolver>, imp: Import, canonical: boolean): 'resolved' | string {
  const t0 = Date.now();
  const r = resolve(imp);
  const ms = Date.now() - t0;
  runs++;
  if (ms > 2000) violations.push(`${JSON.stringify(imp.ref)} took ${ms} ms`);
  if ('error' in r) {
    refused++;
    if (typeof r.error !== 'string' || r.error.includes('\n')) violations.push(`${JSON.stringify(imp.ref)}: refusal is not one line`);
    return r.code ?? 'FMS2022';
  }
  resolved++;
  if (!canonical) violations.push(`${JSON.stringify(imp)} is not canonical but resolved`);
  const real = realpathSync(r.file);
  if (!real.startsWith(regReal)) violations.push(`${JSON.stringify(imp.ref)} resolved outside the registry: ${real}`);
  if (Buffer.from(r.bytes).includes(SECRET)) violations.push(`${JSON.stringify(imp.ref)} read a file outside the registry`);
  return 'resolved';
}

/** The old, naive split (what lowering did before): feeds the resolver non-canonical parts too. */
function naive(ref: string): Import {
  const at = ref.lastIndexOf('@');
  const target = at < 0 ? ref : ref.slice(0, at);
  const slash = target.indexOf('/');
  return { ref, host: slash > 0 ? target.slice(0, slash) : target, path: slash > 0 ? target.slice(slash + 1) : '', version: at < 0 ? '' : ref.slice(at + 1), loc: { file: 'governance.fms', line: 1, col: 1, span: { start: 0, end: 0 } } };
}

const resolvers = [registryResolver(reg, join(root, 'governance.fms')), registryResolver(join(root, 'reglink'), join(root, 'governance.fms'))];

// Planted files: what each must give.
const planted: Record<string, string> = {};
const want: Record<string, string> = {
  pay: 'resolved',
  inlink: 'resolved',
  link: 'FMS2073',
  rellink: 'FMS2073',
  'dirlink/evil': 'FMS2073',
  zero: 'FMS2073',
  loop: 'FMS2073',
  fifo: 'FMS2073',
  sigfifo: 'FMS2073',
  big: 'FMS2073',
  dir: 'FMS2073',
  missing: 'FMS2022',
};
for (const [name, expected] of Object.entries(want)) {
  for (const resolve of resolvers) {
    const p = parseImportRef(`example.com/acme/${name}@1.0.0`);
    if (!p.ok) throw new Error(name);
    const got = attempt(resolve, { ...p.value, loc: naive('').loc }, true);
    planted[name] = got;
    if (got !== expected) violations.push(`planted ${name}: expected ${expected}, got ${got}`);
  }
}

const PIECES = ['..', '.', '/', '//', '%2e', '%2e%2e', '%2f', '\\', '..\\', '\u0000', 'example.com', 'acme', 'pay', 'link', 'rellink', 'dirlink', 'evil', 'fifo', 'sigfifo', 'zero', 'loop', 'big', 'dir', 'inlink', 'outside', 'x', 'governance.fms', '@1.0.0', '@', '1.0.0', '-rc.1', '+b', 'É', 'а', 'xn--exmple-4nf.com', root, '/', '~', '$HOME', 'A', ' ', '\n', '*', ':', '__proto__', 'constructor', '\u202e', '\ud800'];
const refArb = fc.oneof(
  fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.tuple(fc.array(fc.constantFrom('..', '.', 'acme', 'dirlink', 'example.com', ''), { maxLength: 8 }), fc.constantFrom('pay', 'evil', 'link', 'fifo', 'x')).map(([a, b]) => [...a, b].join('/') + '@1.0.0'),
  fc.integer({ min: 500, max: 20000 }).map((n) => 'example.com/' + 'a/'.repeat(n) + 'pay@1.0.0'),
  // Mostly canonical refs near the planted files, so acceptance paths are exercised too.
  fc
    .tuple(fc.array(fc.constantFrom('acme', 'dirlink', 'x', '...', '.x', '_', '-'), { minLength: 1, maxLength: 3 }), fc.constantFrom(...Object.keys(want).filter((k) => !k.includes('/'))), fc.constantFrom('1.0.0', '1.0.0-rc.1', '2.0.0'))
    .map(([dirs, name, v]) => `example.com/${dirs.join('/')}/${name}@${v}`),
);

fc.assert(
  fc.property(refArb, fc.nat(1), (ref, which) => {
    const resolve = resolvers[which]!;
    const p = parseImportRef(ref);
    if (p.ok) {
      if (!CANONICAL.test(ref)) violations.push(`${JSON.stringify(ref)} accepted as canonical`);
      attempt(resolve, { ...p.value, loc: naive('').loc }, true);
    }
    // Defence in depth: the resolver re-checks what it is handed.
    const n = naive(ref);
    attempt(resolve, n, parseImportRef(`${n.host}/${n.path}@${n.version}`).ok);
    return true;
  }),
  { numRuns: Number(process.env.FMS_FUZZ_RUNS ?? 3000), seed: Number(process.env.FMS_FUZZ_SEED ?? 18) },
);

rmSync(root, { recursive: true, force: true });
process.stdout.write(JSON.stringify({ runs, resolved, refused, planted, violations: violations.slice(0, 20) }) + '\n');
