import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { compile } from '../../../compiler/src/compile';

const agent = (body: string, runtime = '') => compile(`${runtime}\nagent "bot" {\n  default deny\n  enforcement {\n${body}\n  }\n}\n`, 'g.fms', { env: {} });
const codes = (r: ReturnType<typeof compile>) => r.diagnostics.map((d) => d.code);

test('an enforcement block lowers into Agent.enforcement with normalised lists', () => {
  const r = agent(`    profile = "full"
    fs_read = ["/usr", "/etc/", "/usr"]
    fs_write = ["/tmp/work"]
    fs_exec = ["/usr/bin"]
    net_connect = [8080, 443, 443]
    net_bind = [9000]
    syscalls_deny = ["personality"]
    syscalls_allow = ["ptrace"]
    landlock_min_abi = 4
    isolation = "process"`);
  assert.equal(codes(r), []);
  const e = r.ir!.agents[0]!.enforcement!;
  assert.is(e.profile, 'full');
  assert.equal(e.fsRead, ['/usr', '/etc']);
  assert.equal(e.fsWrite, ['/tmp/work']);
  assert.equal(e.fsExec, ['/usr/bin']);
  assert.equal(e.netConnect, [443, 8080]);
  assert.equal(e.netBind, [9000]);
  assert.equal(e.syscallsDeny, ['personality']);
  assert.equal(e.syscallsAllow, ['ptrace']);
  assert.is(e.landlockMinAbi, 4);
  assert.is(e.isolation, 'process');
});

test('the runtime block gives the default profile; the agent overrides it; os_tier = false in the agent is off', () => {
  assert.is(agent('    fs_read = ["/usr"]', 'runtime { agent_enforce_profile = "minimal" }').ir!.agents[0]!.enforcement!.profile, 'minimal');
  assert.is(agent('    profile = "full"', 'runtime { agent_enforce_profile = "minimal" }').ir!.agents[0]!.enforcement!.profile, 'full');
  assert.is(agent('    fs_read = ["/usr"]').ir!.agents[0]!.enforcement!.profile, 'full');
  assert.is(agent('    os_tier = false').ir!.agents[0]!.enforcement!.profile, 'off');
  const off = agent('    profile = "full"', 'runtime { os_tier = false }');
  assert.equal(codes(off), ['FMS2096']);
  assert.is(off.ir!.agents[0]!.enforcement, undefined);
});

test('agents without an enforcement block have no fence', () => {
  const r = compile('agent "a" { default deny }', 'g.fms');
  assert.is(r.ir!.agents[0]!.enforcement, undefined);
});

test('prototype names, numbers and decoys are unknown syscalls, never table hits', () => {
  const r = agent('    syscalls_deny = ["constructor", "__proto__", "toString", "hasOwnProperty", 42, "PTRACE"]');
  assert.equal(codes(r), ['FMS2090', 'FMS2090', 'FMS2090', 'FMS2090', 'FMS2090', 'FMS2090']);
  assert.match(r.diagnostics[5]!.help ?? '', /did you mean `ptrace`/);
});

test('wrong kinds in paths and ports are reported, not coerced', () => {
  const r = agent('    fs_read = [42, "", "relative", "/a/./b"]\n    net_connect = [0, -1, 1.5, 65536, "22", true]');
  assert.equal(codes(r), ['FMS2027', 'FMS2091', 'FMS2091', 'FMS2091', 'FMS2092', 'FMS2092', 'FMS2092', 'FMS2092', 'FMS2092', 'FMS2092']);
});

test('paths are limited in UTF-8 bytes, not UTF-16 units, and must be valid Unicode', () => {
  const wide = '/' + '漢'.repeat(1400); // 1,401 units, 4,201 bytes
  assert.equal(codes(agent(`    fs_read = ["${wide}"]`)), ['FMS2091']);
  assert.equal(codes(agent(`    fs_read = ["/${'a'.repeat(4094)}"]`)), []);
  assert.equal(codes(agent(`    fs_read = ["/${'a'.repeat(4095)}"]`)), ['FMS2091']);
  const r = compile('agent "a" {\n default deny\n enforcement { fs_read = ["/x"] }\n}', 'g.fms', { env: {} });
  assert.equal(codes(r), []);
});

test('isolation: none and process are accepted; anything else is not supported', () => {
  assert.is(agent('    isolation = "none"').ir!.agents[0]!.enforcement!.isolation, 'none');
  for (const iso of ['firecracker', 'gvisor', 'constructor']) assert.equal(codes(agent(`    isolation = "${iso}"`)), ['FMS2094']);
});

test('landlock_min_abi must be 1..7; two enforcement blocks are an error', () => {
  for (const v of ['0', '8', '2.5', '-1']) assert.ok(codes(agent(`    landlock_min_abi = ${v}`)).includes('FMS2095'), v);
  const r = compile('agent "a" {\n default deny\n enforcement { profile = "full" }\n enforcement { profile = "off" }\n}', 'g.fms');
  assert.equal(codes(r), ['FMS2031']);
});

test('a huge list is checked item by item; more than 4,096 distinct paths is FMS2097', () => {
  const list = (n: number) => Array.from({ length: n }, (_, i) => `"/d/${i}"`).join(', ');
  const ok = agent(`    fs_read = [${list(4096)}]\n    fs_exec = ["/d/0"]`);
  assert.equal(codes(ok), []);
  assert.is(ok.ir!.agents[0]!.enforcement!.fsRead.length, 4096);
  assert.equal(codes(agent(`    fs_read = [${list(5000)}]`)), ['FMS2097']);
});

test('an imported agent brings its fence when the stack has none; two different fences are FMS2034, never a silent drop', () => {
  const pkg = (body: string) => `agent "bot" {\n  rules { deny x }\n  enforcement {\n${body}\n  }\n}\n`;
  const build = (pkgText: string, stackFence: string) => {
    const bytes = new TextEncoder().encode(pkgText);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const src = `import "example.com/acme/pkg@1.0.0"\nagent "bot" {\n  default deny\n${stackFence}\n}\n`;
    return compile(src, 'g.fms', { env: {}, resolveImport: () => ({ file: 'pkg.fms', bytes, sha256 }) });
  };
  const adopted = build(pkg('    fs_read = ["/srv"]'), '');
  assert.equal(codes(adopted), []);
  assert.equal(adopted.ir!.agents[0]!.enforcement!.fsRead, ['/srv']);
  const same = build(pkg('    fs_read = ["/srv"]'), '  enforcement {\n    fs_read = ["/srv"]\n  }');
  assert.equal(codes(same), []);
  const clash = build(pkg('    fs_read = ["/"]'), '  enforcement {\n    fs_read = ["/srv"]\n  }');
  assert.equal(codes(clash), ['FMS2034']);
  assert.match(clash.diagnostics[0]!.message, /both declare an `enforcement` block/);
});

test.run();
