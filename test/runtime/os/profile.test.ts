import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compile } from '@fms/compiler';
import { buildBodyModel, emitPackBody } from '@fms/compiler';
import { writeBody } from '../../../runtime/src/pack/body-writer';
import { agentFences } from '@fms/compiler';
import { readBody } from '../../../runtime/src/pack/body-reader';
import { ByteWriter, PackError, SECTION } from '../../../runtime/src/pack/format';
import { encodeExecProfile, readFenceSections, writeFenceSections, type AgentFence } from '../../../runtime/src/os/profile';
import { FS, NET, SCOPE } from '../../../runtime/src/os/landlock-abi';

const SRC = `
runtime { agent_enforce_profile = "full" }
agent "worker" {
  default deny
  enforcement {
    fs_read  = ["/usr", "/etc/hosts"]
    fs_write = ["/tmp/w"]
    fs_exec  = ["/usr/bin", "/usr"]
    net_connect = [8080]
    net_bind = [8080, 9000]
    landlock_min_abi = 4
  }
}
agent "loose" {
  default deny
  enforcement { profile = "off" }
}
agent "plain" { default deny }
`;

const ir = () => {
  const r = compile(SRC, 'g.fms', { env: {} });
  assert.equal(r.diagnostics.filter((d) => d.severity === 'error'), []);
  return r.ir!;
};

test('the fences travel through the pack body and come back identical', () => {
  const policy = ir();
  const body = emitPackBody(policy);
  const model = readBody(body, { checksums: true });
  const fences = readFenceSections(model.reserved);
  assert.equal([...fences.keys()], ['loose', 'worker']);
  const want = new Map(agentFences(policy).map((f) => [f.agent, f]));
  assert.equal(fences.get('worker'), want.get('worker'));
  assert.equal(fences.get('loose'), want.get('loose'));
  const w = fences.get('worker')!;
  assert.equal(w.landlock.paths, [
    { path: '/usr', access: FS.READ_FILE | FS.READ_DIR | FS.EXECUTE },
    { path: '/etc/hosts', access: FS.READ_FILE | FS.READ_DIR },
    { path: '/tmp/w', access: w.landlock.paths[2]!.access },
    { path: '/usr/bin', access: FS.EXECUTE | FS.READ_FILE | FS.READ_DIR },
  ]);
  assert.ok(w.landlock.paths[2]!.access & FS.WRITE_FILE && !(w.landlock.paths[2]!.access & FS.MAKE_CHAR));
  assert.equal(w.landlock.ports, [
    { port: 8080, access: NET.BIND_TCP | NET.CONNECT_TCP },
    { port: 9000, access: NET.BIND_TCP },
  ]);
  assert.is(w.landlock.scoped, SCOPE.SIGNAL | SCOPE.ABSTRACT_UNIX_SOCKET);
  assert.is(w.landlock.minAbi, 4);
  assert.is(fences.get('loose')!.seccomp, undefined);
  assert.ok(w.seccomp!.x86_64.length > 10 && w.seccomp!.aarch64.length > 10);
});

test('a stack without enforcement blocks has no OS-profile sections (the body is unchanged)', () => {
  const r = compile('agent "a" { default deny }', 'g.fms');
  assert.is(readBody(emitPackBody(r.ir!), { checksums: true }).reserved.size, 0);
});

const sections = () => writeFenceSections(agentFences(ir()));

function refuses(mutate: (m: Map<number, Uint8Array>) => void, why: RegExp) {
  const m = sections();
  mutate(m);
  try {
    readFenceSections(m);
  } catch (e) {
    assert.instance(e, PackError);
    assert.match((e as Error).message, why);
    return;
  }
  assert.unreachable(`accepted: ${why}`);
}

test('the reader fails closed on tampered or inconsistent sections', () => {
  refuses((m) => m.delete(SECTION.LANDLOCK), /seccomp section without a Landlock section/);
  refuses((m) => m.delete(SECTION.SECCOMP_AARCH64), /without both seccomp sections/);
  refuses((m) => m.set(SECTION.LANDLOCK, m.get(SECTION.LANDLOCK)!.subarray(0, 40)), /truncated|does not fit/);
  refuses((m) => {
    const b = m.get(SECTION.LANDLOCK)!.slice();
    b[0] = 0xff;
    b[1] = 0xff;
    b[2] = 0xff;
    m.set(SECTION.LANDLOCK, b);
  }, /count/);
  refuses((m) => {
    const b = m.get(SECTION.SECCOMP_X86_64)!;
    m.set(SECTION.SECCOMP_X86_64, Uint8Array.from([...b, 0]));
  }, /trailing/);
  refuses((m) => m.set(SECTION.SECCOMP_X86_64, new ByteWriter().u32(0).finish()), /no program for `worker`/);
  // Hand-built decoys: relative path, unknown rights, prototype-named agent in seccomp only, bad BPF.
  const fence = (over: Partial<AgentFence['landlock']> = {}, agent = 'a'): AgentFence => ({
    agent,
    profile: 'full',
    isolation: 'process',
    landlock: { minAbi: 1, handledFs: 0xffff, handledNet: 3, scoped: 3, paths: [], ports: [], ...over },
    seccomp: { x86_64: [{ code: 6, jt: 0, jf: 0, k: 0 }], aarch64: [{ code: 6, jt: 0, jf: 0, k: 0 }] },
  });
  const bad = (f: AgentFence[], why: RegExp) => refuses((m) => {
    m.clear();
    for (const [k, v] of writeFenceSections(f)) m.set(k, v);
  }, why);
  bad([fence({ paths: [{ path: 'etc', access: FS.READ_FILE }] })], /not absolute/);
  bad([fence({ paths: [{ path: '/a/../b', access: FS.READ_FILE }] })], /not absolute/);
  bad([fence({ paths: [{ path: '/a', access: 1 << 20 }] })], /not handled/);
  bad([fence({ handledFs: 1 << 16 })], /unknown rights/);
  bad([fence({ minAbi: 8 })], /min ABI/);
  bad([fence({ ports: [{ port: 0, access: 1 }] })], /port 0/);
  bad([fence({ ports: [{ port: 80, access: 4 }] })], /not handled/);
  bad([fence({}, 'b'), fence({}, 'a'), fence({}, 'a')], /not unique/);
  const off = fence({}, '__proto__');
  refuses((m) => {
    m.clear();
    for (const [k, v] of writeFenceSections([fence({}, 'a')])) m.set(k, v);
    const w = new ByteWriter().u32(2);
    for (const id of ['a', off.agent]) {
      const b = new TextEncoder().encode(id);
      w.u32(b.length).bytes(b).u32(1).bytes(Uint8Array.from([6, 0, 0, 0, 0, 0, 0, 0]));
    }
    m.set(SECTION.SECCOMP_X86_64, w.finish());
  }, /unexpected agent `__proto__`/);
  const evil = fence();
  evil.seccomp!.x86_64 = [{ code: 0x20, jt: 0, jf: 0, k: 0 }];
  bad([evil], /does not end with a return/);
});

test('a body whose fence names an agent it does not declare is refused', () => {
  const policy = ir();
  const fences = writeFenceSections(agentFences(policy));
  policy.agents = policy.agents.filter((a) => a.id !== 'worker');
  const model = buildBodyModel(policy);
  model.reserved = fences;
  assert.throws(() => readBody(writeBody(model), { checksums: true }), /fence for unknown agent `worker`/);
});

test('the exec profile starts with FMSX, version 1, and carries the program for the requested arch', () => {
  const f = readFenceSections(readBody(emitPackBody(ir()), { checksums: true }).reserved).get('worker')!;
  const x = encodeExecProfile(f, 'x86_64');
  assert.equal([...x.subarray(0, 4)], [0x46, 0x4d, 0x53, 0x58]);
  const v = new DataView(x.buffer, x.byteOffset);
  assert.is(v.getUint32(4, true), 1);
  assert.is(v.getUint32(8, true), 3);
  assert.is(v.getUint32(12, true), 4);
  const tail = v.getUint32(x.length - f.seccomp!.x86_64.length * 8 - 4, true);
  assert.is(tail, f.seccomp!.x86_64.length);
  const off = encodeExecProfile({ ...f, profile: 'off' }, 'aarch64');
  assert.is(new DataView(off.buffer, off.byteOffset).getUint32(8, true), 0);
});

test.run();
