import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION, readInput } from '@fms/runtime/cli-kit';
import { PACK_MAGIC, decodeContainer } from '@fms/runtime/format';
import { BODY_HEADER_SIZE, BUILTINS, CMP_NAMES, EFFECT_NAMES, GLOB_NAMES, OP, OPERANDS, OP_NAMES, PATTERN_NAMES, PackError, ROOT_NAMES, SECTION, SECTION_ENTRY_SIZE, STROP_NAMES, WINDOW_NAMES, BUDGET_WINDOW_NAMES, ON_EXCEED_NAMES } from '@fms/runtime/format';
import type { BodyModel, ConstModel } from '@fms/runtime/format';
import { loadPackBody } from '@fms/runtime';
import { readPackUnverified } from '../../sign/create-pack';
import { manifestJson } from './verify';
import { readFenceSections } from '@fms/runtime/os';
import { describeFence } from '@fms/runtime/os';

const SECTION_NAMES: Record<number, string> = Object.fromEntries(Object.entries(SECTION).map(([k, v]) => [v, k]));

function constText(m: BodyModel, c: ConstModel): string {
  switch (c.t) {
    case 'nil':
      return 'nil';
    case 'bool':
    case 'num':
      return String(c.v);
    case 'str':
      return JSON.stringify(c.v);
    case 'list':
      return '[' + c.items.map((i) => constText(m, m.consts[i]!)).join(', ') + ']';
  }
}

/** Disassembles one rule's condition function. */
function disassemble(m: BodyModel, start: number, len: number): string[] {
  const out: string[] = [];
  const c = m.code;
  const u32 = (p: number): number => (c[p]! | (c[p + 1]! << 8) | (c[p + 2]! << 16)) + c[p + 3]! * 0x1000000;
  for (let pc = start; pc < start + len; ) {
    const op = c[pc]!;
    const ops = OPERANDS[op] ?? [];
    let arg = '';
    switch (op) {
      case OP.PUSH_CONST:
        arg = constText(m, m.consts[u32(pc + 1)]!);
        break;
      case OP.LOAD: {
        const p = m.paths[u32(pc + 1)]!;
        arg = [ROOT_NAMES[p.root], ...p.segs].join('.');
        break;
      }
      case OP.CMP:
        arg = CMP_NAMES[c[pc + 1]!] ?? '?';
        break;
      case OP.IN:
        arg = c[pc + 1] ? 'not in' : 'in';
        break;
      case OP.STROP:
        arg = STROP_NAMES[c[pc + 1]!] ?? '?';
        break;
      case OP.MATCH:
      case OP.ANY_MATCH:
        arg = JSON.stringify(m.regexes[u32(pc + 1)]);
        break;
      case OP.CALL:
        arg = `${BUILTINS[c[pc + 1]!]?.name ?? '?'}/${c[pc + 2]}`;
        break;
      case OP.MAKE_LIST:
        arg = String(c[pc + 1]! | (c[pc + 2]! << 8));
        break;
      case OP.GLOB:
        arg = `${GLOB_NAMES[c[pc + 1]!]} ${constText(m, m.consts[u32(pc + 2)]!)}`;
        break;
      case OP.AND_JMP:
      case OP.OR_JMP:
        arg = `→ +${u32(pc + 1)}`;
        break;
    }
    out.push(`      +${String(pc - start).padStart(3, '0')}  ${(OP_NAMES[op] ?? '?').padEnd(10)} ${arg}`);
    pc += 1 + ops.reduce((a, b) => a + b, 0);
  }
  return out;
}

/** Human-readable listing of a pack body (the body must pass the loader and verifier). */
export function inspectBody(body: Uint8Array): string {
  const pack = loadPackBody(body);
  const m = pack.model;
  const out: string[] = [];
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const nsec = dv.getUint16(6, true);
  out.push(`body: ${body.length} bytes, file ${m.file}, produced by ${m.producer}`);
  out.push('sections:');
  for (let i = 0; i < nsec; i++) {
    const e = BODY_HEADER_SIZE + i * SECTION_ENTRY_SIZE;
    const t = dv.getUint16(e, true);
    out.push(`  0x${t.toString(16).padStart(2, '0')} ${(SECTION_NAMES[t] ?? '?').padEnd(14)} offset ${dv.getUint32(e + 4, true)}  length ${dv.getUint32(e + 8, true)}  crc32 ${dv.getUint32(e + 12, true).toString(16).padStart(8, '0')}`);
  }
  out.push(`constants ${m.consts.length}, paths ${m.paths.length}, regexes ${m.regexes.length}`);
  let r = 0;
  let off = 0;
  let ph = 0;
  let rl = 0;
  let bu = 0;
  const fences = readFenceSections(m.reserved);
  for (const a of m.agents) {
    out.push(`agent ${a.id}  default ${EFFECT_NAMES[a.defaultEffect]}${a.defaultDeclared ? '' : ' (implicit)'} (${a.file}:${a.line})${a.model ? `  model ${a.model}` : ''}`);
    for (let k = 0; k < a.phaseCount; k++, ph++) {
      const p = m.phases[ph]!;
      out.push(`  phase ${p.id} (${p.file}:${p.line})${p.duration !== null ? ` duration ${p.duration}s` : ''}${p.next >= 0 ? ` next ${m.phases[ph - k + p.next]!.id}` : ''}  tools ${p.tools.map((t) => t.text).join(' ')}`);
    }
    for (let k = 0; k < a.rateLimitCount; k++, rl++) {
      const x = m.rateLimits[rl]!;
      out.push(`  rate_limit ${x.pattern.text} ${x.count}/${WINDOW_NAMES[x.per]} (${x.file}:${x.line})`);
    }
    for (let k = 0; k < a.budgetCount; k++, bu++) {
      const b = m.budgets[bu]!;
      out.push(`  budget ${b.id} window ${BUDGET_WINDOW_NAMES[b.window]}${b.max !== null ? ` max $${b.max}` : ''}${b.daily !== null ? ` daily $${b.daily}` : ''}${b.maxCalls !== null ? ` max_calls ${b.maxCalls}` : ''}${b.warnAt !== null ? ` warn_at ${b.warnAt}` : ''} on_exceed ${ON_EXCEED_NAMES[b.onExceed]} (${b.file}:${b.line})`);
    }
    if (a.egress >= 0) {
      const h = m.hostLists[a.egress]!;
      out.push(`  egress allow [${h.allow.join(', ')}] deny [${h.deny.join(', ')}] (${h.file}:${h.line})`);
    }
    if (a.modelPolicy >= 0) {
      const h = m.hostLists[a.modelPolicy]!;
      out.push(`  model_policy allow [${h.allow.join(', ')}] deny [${h.deny.join(', ')}] (${h.file}:${h.line})`);
    }
    const fence = fences.get(a.id);
    if (fence) out.push(...describeFence(fence, ['x86_64', 'aarch64']).split('\n').map((l) => `  fence ${l}`));
    for (let k = 0; k < a.ruleCount; k++, r++) {
      const rule = m.rules[r]!;
      const loc = m.ruleLocs[r]!;
      out.push(`  rule #${k} ${loc.file}:${loc.line}:${loc.col}  ${EFFECT_NAMES[rule.effect]}${rule.mandatory ? '!' : ''} ${PATTERN_NAMES[rule.pattern.kind]} ${rule.pattern.text}${rule.phase >= 0 ? ` [phase ${m.phases[ph - a.phaseCount + rule.phase]!.id}]` : ''}`);
      out.push(`      | ${loc.text}`);
      out.push(...disassemble(m, off, rule.codeLen));
      off += rule.codeLen;
    }
  }
  return out.join('\n') + '\n';
}

/** The manifest and claimed signatures of a container, as `inspect` shows them (nothing verified). */
function provenance(bytes: Uint8Array): { text: string; json: Record<string, unknown> } {
  const c = decodeContainer(bytes);
  const u = readPackUnverified(bytes);
  const m = u.manifest;
  const lines = [
    `container v${c.version}, envelope ${c.envelope.length} bytes`,
    `pack \`${m.name}\` serial ${m.serial}: created ${m.created_at}, valid ${m.not_before} .. ${m.expires_at}`,
    `  body sha256:${m.body.sha256} (${m.body.size} bytes${u.bodyDigest === m.body.sha256 ? '' : `; the body in the file hashes to sha256:${u.bodyDigest}`})`,
    `  source sha256:${m.source_sha256}, compiler ${m.compiler.name} ${m.compiler.version}, manifest sha256:${u.manifestDigest}`,
  ];
  if (u.keyIds.length === 0) lines.push('signatures: none: the pack is unsigned (sign it with `fmsc sign`); every verifier refuses it');
  else {
    lines.push(`signatures (${u.keyIds.length}): NOT verified by inspect (no trust file); check them with \`fmsc verify --trust FILE\``);
    for (const id of u.keyIds) lines.push(`  ${id}  unverified`);
  }
  const imports = m.imports;
  lines.push(imports === undefined ? 'imports: not recorded (pack made before manifests listed them)' : `imports: ${imports.length}`);
  for (const i of imports ?? []) lines.push(`  import ${i.ref} sha256:${i.sha256}`);
  return {
    text: lines.join('\n') + '\n',
    json: {
      container_version: c.version,
      manifest: manifestJson(m),
      manifest_digest: `sha256:${u.manifestDigest}`,
      body_digest: `sha256:${u.bodyDigest}`,
      signed: u.keyIds.length > 0,
      verified: false,
      signatures: u.keyIds.map((id) => ({ key_id: id, algorithm: null, status: 'unverified' })),
    },
  };
}

/** Agents and rule counts of a loaded body, for `--format json`. */
function bodySummary(body: Uint8Array): Record<string, unknown> {
  const m = loadPackBody(body).model;
  return {
    bytes: body.length,
    producer: m.producer,
    file: m.file,
    agents: m.agents.map((a) => ({ id: a.id, rules: a.ruleCount })),
  };
}

/**
 * Registers `fmsc inspect PACK`: the manifest and the (unverified) signatures
 * of a container, then sections, agents, rules with their source lines and the
 * bytecode listing; `--format json` gives the manifest, signatures and a body
 * summary.
 */
export function register(program: Command): void {
  program
    .command('inspect')
    .argument('<pack>', 'a .fmspack file (signed container) or a raw pack body')
    .description('disassemble a policy pack: manifest, signatures (unverified), sections, agents, rules with source lines, bytecode')
    .addOption(formatOption())
    .action((path: string, o: { format: string }) => {
      let bytes: Uint8Array;
      bytes = readInput(path);
      try {
        const isContainer = bytes.length >= PACK_MAGIC.length && PACK_MAGIC.every((b, i) => bytes[i] === b);
        const prov = isContainer ? provenance(bytes) : null;
        const body = isContainer ? decodeContainer(bytes).body : bytes;
        if (o.format === 'json') {
          const doc = { version: JSON_VERSION, tool: 'fmsc', ok: true, file: path, kind: isContainer ? 'container' : 'body', ...(prov ? prov.json : { manifest: null, signed: false, verified: false, signatures: [] }), body: bodySummary(body) };
          process.stdout.write(JSON.stringify(doc) + '\n');
          return;
        }
        const listing = inspectBody(body);
        process.stdout.write((prov ? prov.text : '') + listing);
      } catch (e) {
        if (e instanceof PackError || (e instanceof Error && e.name === 'PackRefusal')) throw new CliError(`refused \`${path}\`: ${e.message}`, EXIT.refused);
        throw e;
      }
    });
}
