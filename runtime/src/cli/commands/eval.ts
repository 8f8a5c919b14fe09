import type { Command } from 'commander';
import { CliError, EXIT, readInput } from '../common';
import { PACK_MAGIC, decodeContainer } from '../../pack/container';
import { PackError } from '../../pack/format';
import { PackRefusal } from '../../trust/refusal';
import { decodeEnvelope } from '../../trust/dsse';
import { decodeManifest } from '../../trust/manifest';
import { TrustUsageError, verifyPackFile } from '../../trust/load-pack-file';
import { nameFlags, nameOptions, refusalMessage } from './verify';
import { defaultStateDir } from '../../trust/rollback-store';
import { type LoadOptions, type LoadedPack, loadPackBody } from '../../vm/loaded-pack';
import type { Clock } from '../../state/store';
import type { Call } from '../../vm/types';

/** Options shared by `fms-run eval` and `fms-run explain`. */
export interface CallOpts {
  agent: string;
  tool: string;
  args?: string;
  principal?: string;
  session?: string;
  model?: string;
  cost?: string;
  purpose?: string;
  selectors?: string;
  delegation?: string;
  time?: string;
  trust?: string;
  name?: string;
  deployment?: string;
  /** `--state-dir DIR` (eval/explain of a pack). */
  stateDir?: string;
  /** false with `--no-state`. */
  state?: boolean;
  insecureUnsigned?: boolean;
}

/** Adds the options that describe one tool call (shared with `fmsc explain-call`). */
export function callOptions(c: Command): Command {
  return c
    .requiredOption('--agent <id>', 'agent id')
    .requiredOption('--tool <name>', 'tool name')
    .option('--args <json>', 'arguments as a JSON object', '{}')
    .option('--principal <json>', 'principal claims as a JSON object')
    .option('--session <id>', 'session id')
    .option('--model <name>', 'model of the call')
    .option('--cost <usd>', 'cost of the call in USD')
    .option('--purpose <name>', 'purpose of the call (sets args.purpose, which purpose("x") reads)')
    .option('--selectors <json>', 'selector values as a JSON object (selector.<name>)')
    .option('--delegation <json>', 'the call is made under another agent\'s delegation: `{"by": AGENT, "depth": N}` (README "Delegation")')
    .option('--time <t>', "the evaluation clock: ms since the epoch or an ISO 8601 date (default: now); an option of this tool, never part of the call");
}

/** Adds the call options and the pack options (trust roots, the development-only escape). */
export function packCallOptions(c: Command): Command {
  return nameFlags(callOptions(c).option('--trust <file>', 'trust roots (default $FMS_TRUST)'))
    .option('--state-dir <dir>', 'rollback state directory (default: $FMS_STATE_DIR, else $XDG_STATE_HOME/fms or ~/.local/state/fms)')
    .option('--no-state', 'do not read or update the rollback high-water mark')
    .option('--insecure-unsigned', 'accept an unsigned pack or raw pack body WITHOUT verification (development only)');
}

const EFFECTS: ReadonlySet<string> = new Set(['permit', 'defer', 'deny']);

/** `--fail-on deny,defer` as a set of effects; an unknown word is a usage error (exit 2). */
function failOnEffects(text: string | undefined): ReadonlySet<string> {
  if (text === undefined) return new Set();
  const words = text.split(',').map((w) => w.trim().toLowerCase());
  for (const w of words) if (!EFFECTS.has(w)) throw new CliError(`--fail-on: unknown effect \`${w}\` (use deny, defer or permit, comma-separated)`, EXIT.usage);
  return new Set(words);
}

function json(flag: string, text: string | undefined): { [k: string]: unknown } | undefined {
  if (text === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CliError(`${flag} is not valid JSON`, EXIT.usage);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new CliError(`${flag} must be a JSON object`, EXIT.usage);
  return v as { [k: string]: unknown };
}

/** Builds the call from the flags (usage errors exit 2). */
export function callFromOpts(o: CallOpts): Call {
  const call: Call = { agent: o.agent, tool: o.tool, args: json('--args', o.args) ?? {} };
  if (o.purpose !== undefined) call.args = { ...call.args, purpose: o.purpose };
  const p = json('--principal', o.principal);
  if (p) call.principal = p;
  const sel = json('--selectors', o.selectors);
  if (sel) call.selectors = sel;
  const del = json('--delegation', o.delegation);
  if (del) call.delegation = del as unknown as Call['delegation'];
  if (o.session !== undefined) call.session = o.session;
  if (o.model !== undefined) call.model = o.model;
  if (o.cost !== undefined) {
    const c = Number(o.cost);
    if (!Number.isFinite(c) || c < 0) throw new CliError('--cost must be a number ≥ 0', EXIT.usage);
    call.cost = c;
  }
  return call;
}

/**
 * The clock of an offline evaluation: `--time` (ms since the epoch or an ISO
 * 8601 date) fixes it; without it, the system clock. The time is an option of
 * the tool, never a field of the call (a server ignores no such field: it
 * refuses it).
 */
export function clockFromOpts(o: { time?: string }): Clock | undefined {
  if (o.time === undefined) return undefined;
  const t = /^\d+$/.test(o.time) ? Number(o.time) : Date.parse(o.time);
  if (!Number.isFinite(t)) throw new CliError('--time must be ms since the epoch or an ISO 8601 date', EXIT.usage);
  return { now: () => t };
}

function loadOpts(o: CallOpts): LoadOptions {
  const clock = clockFromOpts(o);
  return clock ? { clock } : {};
}

/**
 * Loads a pack for eval/explain (with the clock of `--time`). Signed packs are verified against the trust
 * roots (refusal: exit 3). With `--insecure-unsigned`, the file may be a
 * container (its signature is NOT checked) or a raw pack body; a warning is
 * printed on stderr.
 */
export function loadPackForCli(path: string, o: CallOpts): LoadedPack {
  const stateDir: string | false = o.state === false ? false : (o.stateDir ?? defaultStateDir());
  try {
    if (o.insecureUnsigned) {
      process.stderr.write('fms-run: warning: --insecure-unsigned: the pack is NOT verified against any trust root\n');
      let bytes: Uint8Array;
      bytes = readInput(path);
      const isContainer = bytes.length >= PACK_MAGIC.length && PACK_MAGIC.every((b, i) => bytes[i] === b);
      unverifiedNameCheck(isContainer ? bytes : null, o);
      return loadPackBody(isContainer ? decodeContainer(bytes).body : bytes, loadOpts(o));
    }
    const v = verifyPackFile(path, { ...(o.trust ? { trust: o.trust } : {}), ...nameOptions(o), stateDir });
    return loadPackBody(v.body, loadOpts(o));
  } catch (e) {
    if (e instanceof PackRefusal) throw new CliError(refusalMessage(path, e, stateDir), EXIT.refused);
    if (e instanceof PackError) throw new CliError(`refused \`${path}\`: ${e.message}`, EXIT.refused);
    if (e instanceof TrustUsageError) throw new CliError(e.message, EXIT.usage);
    throw e;
  }
}

/**
 * `--insecure-unsigned` with an expected name (`--name` / `FMS_PACK_NAME`):
 * the unverified manifest must carry that name, and a raw pack body (which
 * has no name) is refused; `--deployment` needs a trust file, so it is refused
 * with `--insecure-unsigned`. The name is then not authenticated, but a host
 * that expects one never runs another pack silently.
 */
function unverifiedNameCheck(container: Uint8Array | null, o: CallOpts): void {
  const name = o.name ?? (process.env['FMS_PACK_NAME'] || undefined);
  const deployment = o.deployment ?? (process.env['FMS_DEPLOYMENT'] || undefined);
  if (deployment !== undefined) throw new CliError('--insecure-unsigned cannot check a deployment (--deployment / FMS_DEPLOYMENT needs a trust file): drop one of them', EXIT.usage);
  if (name === undefined) return;
  if (container === null) throw new CliError(`--insecure-unsigned with a raw pack body cannot check the expected name \`${name.slice(0, 80)}\` (--name / FMS_PACK_NAME): use a signed pack or drop the name`, EXIT.usage);
  const actual = decodeManifest(decodeEnvelope(decodeContainer(container).envelope, undefined, { allowUnsigned: true }).payload).name;
  if (actual !== name) throw new PackRefusal('expected-name', `pack is named \`${actual.slice(0, 80)}\`, this host expects \`${name.slice(0, 80)}\` (unverified: --insecure-unsigned)`);
}

/** Registers `fms-run eval PACK --agent A --tool T --args JSON`: prints the decision payload as JSON. */
export function register(program: Command): void {
  packCallOptions(program.command('eval').argument('<pack>', 'signed pack (.fmspack)').description('decide one tool call against a pack and print the decision payload'))
    .option('--fail-on <effects>', 'exit 1 when the decision is one of these effects, comma-separated (deny, defer, permit), e.g. --fail-on deny,defer')
    .action((pack: string, o: CallOpts & { failOn?: string }) => {
      const failOn = failOnEffects(o.failOn);
      const p = loadPackForCli(pack, o);
      const d = p.decide(callFromOpts(o));
      process.stdout.write(JSON.stringify(d, null, 2) + '\n');
      if (failOn.has(d.effect)) process.exitCode = EXIT.diagnostics;
    });
}
