// Acceptance on the REAL kernel: `fms-run exec` with profile full, a C probe
// for the exact errnos, and sh / python3 / node running normally inside the
// fence. Needs Linux x86_64/aarch64 with Landlock ABI >= 6, `cc` and
// libseccomp-dev: skips loudly without them, FAILS under CI=true.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttp } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '@fms/compiler';
import { emitPackBody } from '@fms/compiler';
import { agentFences } from '@fms/compiler';
import { encodeExecProfile } from '../../../runtime/src/os/profile';
import { hostArch } from '../../../runtime/src/os/syscalls';
import { ROOT, runCli } from '../../compiler/sign/cli';
import { ed25519Key, makePack, trustJson } from '../trust/fixtures';

const SUITE = 'fence-kernel';

function missing(): string | undefined {
  if (!hostArch()) return `no kernel fence on ${process.platform}/${process.arch}`;
  if (spawnSync('cc', ['--version']).status !== 0) return 'no C compiler `cc`';
  if (!existsSync('/usr/include/seccomp.h')) return 'libseccomp-dev not installed';
  const abi = spawnSync('python3', ['-c', 'import ctypes;l=ctypes.CDLL(None,use_errno=True);print(l.syscall(444,None,0,1))'], { encoding: 'utf8' });
  if (abi.status !== 0) return 'python3 missing';
  if (Number(abi.stdout.trim()) < 6) return `kernel Landlock ABI ${abi.stdout.trim()} < 6`;
  return undefined;
}

const why = missing();
if (why) {
  if (process.env.CI === 'true') throw new Error(`${SUITE}: required when CI=true: ${why}`);
  process.stderr.write(`\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n!!! ${SUITE}: SKIPPED (${why})\n!!! the kernel-fence acceptance tests did NOT run\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'fms-fence-'));
const inside = join(dir, 'inside');
const outside = join(dir, 'outside');
const bin = join(dir, 'bin');
const loader = join(ROOT, 'dist', 'fms-exec');
const nodeDir = dirname(process.execPath);
let trust = '';
let pack = '';
const servers: Array<Server | ReturnType<typeof createHttp>> = [];
const children: ChildProcess[] = [];
let allowedPort = 0;
let otherPort = 0;
let httpPort = 0;
const abstractName = `fms-fence-test-${process.pid}`;

function policy(): string {
  const exec = [...new Set(['/usr/bin', '/bin', '/usr/lib', '/lib', '/lib64', '/usr/libexec', bin, nodeDir])];
  return `
agent "worker" {
  default deny
  enforcement {
    profile = "full"
    fs_read  = ["/usr", "/lib", "/lib64", "/etc", "/proc", "/dev", "/sys/devices/system/cpu", "${dir}"]
    fs_write = ["${inside}", "/dev/null", "/dev/tty"]
    fs_exec  = [${exec.map((p) => JSON.stringify(p)).join(', ')}]
    net_connect = [${allowedPort}, ${httpPort}]
    landlock_min_abi = 6
  }
}
agent "unfenced" { default deny }
`;
}

async function listen(s: Server | ReturnType<typeof createHttp>, arg: number | string): Promise<number> {
  servers.push(s);
  await new Promise<void>((res) => s.listen(arg as number, '127.0.0.1', () => res()));
  const a = s.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** fms-run with its rollback state in the test's own folder. */
const fmsRun = (args: string[]) => runCli('fms-run', args, { FMS_STATE_DIR: join(dir, 'state') });

async function exec(args: string[]) {
  return fmsRun(['exec', pack, '--agent', 'worker', '--trust', trust, '--', ...args]);
}

if (!why) {
  test.before(async () => {
    for (const d of [inside, outside, bin]) mkdirSync(d, { recursive: true });
    if (!existsSync(loader)) {
      const b = spawnSync(process.execPath, [join(ROOT, 'runtime/scripts/build-native.mjs')], { encoding: 'utf8' });
      assert.is(b.status, 0, b.stderr);
    }
    const cc = spawnSync('cc', ['-O1', '-o', join(bin, 'probe'), join(ROOT, 'test/fixtures/fence/probe.c')], { encoding: 'utf8' });
    assert.is(cc.status, 0, cc.stderr);
    copyFileSync('/bin/true', join(inside, 'true-copy'));
    spawnSync('chmod', ['755', join(inside, 'true-copy')]);
    allowedPort = await listen(createServer((c) => c.end()), 0);
    otherPort = await listen(createServer((c) => c.end()), 0);
    httpPort = await listen(createHttp((_q, r) => r.end('hello from loopback')), 0);
    // An abstract unix socket outside the sandbox (python: node's listen() cannot bind abstract names everywhere).
    const abs = spawn('python3', ['-c', `import socket,time\ns=socket.socket(socket.AF_UNIX)\ns.bind("\\0${abstractName}")\ns.listen()\nprint("ready",flush=True)\ntime.sleep(300)`], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(abs);
    await new Promise<void>((res) => abs.stdout!.once('data', () => res()));
    const r = compile(policy(), 'governance.fms', { env: {} });
    assert.equal(r.diagnostics.filter((d) => d.severity === 'error'), []);
    const key = ed25519Key(dir, 'k');
    pack = join(dir, 'p.fmspack');
    writeFileSync(pack, await makePack(key, { body: emitPackBody(r.ir!), createdAt: new Date(Date.now() - 60_000), name: 'acme/fence' }));
    trust = join(dir, 'trust.json');
    writeFileSync(trust, JSON.stringify(trustJson([key])));
  });

  test.after(() => {
    for (const s of servers) s.close();
    for (const c of children) c.kill('SIGKILL');
  });

  test('the probe sees the exact errnos under profile full', async () => {
    const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(sleeper);
    const r = await exec([join(bin, 'probe'), String(sleeper.pid), abstractName, String(allowedPort), String(otherPort), inside, outside, join(inside, 'true-copy')]);
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /fms-exec: landlock ABI \d+ \(minimum 6\), seccomp on/);
    const got = Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
    const want: Record<string, string> = {
      seccomp: '2',
      nonewprivs: '1',
      ptrace: 'EPERM',
      mount: 'EPERM',
      unshare_user: 'EPERM',
      unshare_net: 'EPERM',
      bpf: 'EPERM',
      io_uring: 'EPERM',
      clone_newns: 'EPERM',
      clone3: 'ENOSYS',
      raw_socket: 'EPERM',
      packet_socket: 'EAFNOSUPPORT',
      signal_outside: 'EPERM',
      fork: 'ok',
      signal_own_child: 'ok',
      abstract_unix_outside: 'EPERM',
      tcp_allowed: 'ok',
      tcp_other: 'EACCES',
      write_inside: 'ok',
      write_outside: 'EACCES',
      exec_outside: 'EACCES',
      done: 'ok',
    };
    if (hostArch() === 'x86_64') want.int80 = 'SIGSYS';
    assert.equal(got, want);
    assert.ok(existsSync(join(inside, 'inside.txt')));
    assert.not.ok(existsSync(join(outside, 'outside.txt')));
  });

  test('sh, python3 and node run normally inside the fence (threads, children, loopback HTTP)', async () => {
    const sh = await exec(['sh', '-c', 'echo one | tr a-z A-Z; ls /usr >/dev/null && echo listed; ls / >/dev/null 2>&1 || echo root-hidden; (sleep 0; echo sub) & wait']);
    assert.is(sh.code, 0, sh.stderr);
    assert.match(sh.stdout, /ONE\nlisted\nroot-hidden\nsub/);
    const py = await exec([
      'python3',
      '-c',
      [
        'import threading, subprocess, urllib.request',
        'out = []',
        't = [threading.Thread(target=lambda i=i: out.append(i)) for i in range(4)]',
        '[x.start() for x in t]; [x.join() for x in t]',
        'print("threads", sorted(out))',
        'print("child", subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout.strip())',
        `print("http", urllib.request.urlopen("http://127.0.0.1:${httpPort}/").read().decode())`,
      ].join('\n'),
    ]);
    assert.is(py.code, 0, py.stderr);
    assert.match(py.stdout, /threads \[0, 1, 2, 3\]\nchild hi\nhttp hello from loopback/);
    const js = [
      "const { Worker } = require('node:worker_threads');",
      "const { execFileSync } = require('node:child_process');",
      "const w = new Worker('require(\"node:worker_threads\").parentPort.postMessage(6*7)', { eval: true });",
      "w.on('message', (m) => {",
      "  console.log('worker ' + m);",
      "  console.log('child', execFileSync('echo', ['hi']).toString().trim());",
      `  require('node:http').get('http://127.0.0.1:${httpPort}/', (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => { console.log('http', b); w.terminate(); }); });`,
      '});',
    ].join('\n');
    const nd = await exec([process.execPath, '-e', js]);
    assert.is(nd.code, 0, nd.stderr);
    assert.match(nd.stdout, /worker 42\nchild hi\nhttp hello from loopback/, nd.stdout + nd.stderr);
  });

  test('an agent without a fence is refused; --dry-run prints the profile; the loader never re-reads the pack', async () => {
    const no = await fmsRun(['exec', pack, '--agent', 'unfenced', '--trust', trust, '--', 'true']);
    assert.is(no.code, 3);
    assert.match(no.stderr, /no `enforcement \{\}` block/);
    const unknown = await fmsRun(['exec', pack, '--agent', 'nobody', '--trust', trust, '--', 'true']);
    assert.is(unknown.code, 2);
    const dry = await fmsRun(['exec', pack, '--agent', 'worker', '--trust', trust, '--dry-run']);
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /profile full/);
    assert.match(dry.stdout, /tcp port \d+: connect_tcp/);
    assert.match(dry.stdout, /ret  KILL_PROCESS/);
    // A pack that fails verification never reaches the loader.
    const bad = join(dir, 'bad.fmspack');
    const bytes = readFileSync(pack);
    bytes[bytes.length - 5] = bytes[bytes.length - 5]! ^ 0xff;
    writeFileSync(bad, bytes);
    const r = await fmsRun(['exec', bad, '--agent', 'worker', '--trust', trust, '--', 'sh', '-c', 'echo RAN']);
    assert.is(r.code, 3);
    assert.not.match(r.stdout, /RAN/);
  });

  test('fms-exec refuses before the agent runs: Landlock ABI below the minimum, a bad profile, a missing command', () => {
    const r = compile(policy(), 'governance.fms', { env: {} });
    const f = agentFences(r.ir!).find((x) => x.agent === 'worker')!;
    const arch = hostArch()!;
    const profileFile = join(dir, 'profile.bin');
    const viaFile = (bytes: Uint8Array, wrapper: string[] = []) => {
      writeFileSync(profileFile, bytes);
      return spawnSync('sh', ['-c', `exec ${wrapper.join(' ')} "$0" 3 sh -c 'echo AGENT-RAN' 3<"$1"`, loader, profileFile], { encoding: 'utf8' });
    };
    const ok = viaFile(encodeExecProfile(f, arch));
    assert.is(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /AGENT-RAN/);
    // Landlock unavailable: a seccomp wrapper makes landlock_create_ruleset fail, as on an old kernel.
    const wrap = join(bin, 'no-landlock');
    const c = spawnSync('cc', ['-O1', '-o', wrap, join(ROOT, 'test/fixtures/fence/no-landlock.c'), '-lseccomp'], { encoding: 'utf8' });
    assert.is(c.status, 0, c.stderr);
    const old = viaFile(encodeExecProfile(f, arch), [wrap]);
    assert.is(old.status, 125);
    assert.match(old.stderr, /^fms-exec: kernel Landlock ABI 0 is below the profile's minimum 6: refusing to start\n$/);
    assert.not.match(old.stdout, /AGENT-RAN/);
    const bytes = encodeExecProfile(f, arch);
    for (const [mut, msg] of [
      [(b: Uint8Array) => b.subarray(0, b.length - 3), /truncated/],
      [(b: Uint8Array) => Uint8Array.from([...b, 0]), /trailing/],
      [(b: Uint8Array) => { const x = b.slice(); x[0] = 0x41; return x; }, /FMSX/],
      [(b: Uint8Array) => { const x = b.slice(); x[12] = 9; return x; }, /outside 1\.\.7/],
      [(b: Uint8Array) => { const x = b.slice(); x[8] = 0x10; return x; }, /unknown flags/],
    ] as const) {
      const bad = viaFile(mut(bytes));
      assert.is(bad.status, 125, `${msg}`);
      assert.match(bad.stderr, msg);
      assert.is(bad.stderr.trim().split('\n').length, 1);
      assert.not.match(bad.stdout, /AGENT-RAN/);
    }
    writeFileSync(profileFile, bytes);
    const missingCmd = spawnSync('sh', ['-c', `exec "$0" 3 /nonexistent/cmd 3<"$1"`, loader, profileFile], { encoding: 'utf8' });
    assert.is(missingCmd.status, 127);
  });
}

test.run();
