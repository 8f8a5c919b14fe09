import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION } from '../common';
import { loadPackForCli } from './eval';
import { nameFlags } from './verify';
import { describeFence } from '../../os/describe';
import { encodeExecProfile, readFenceSections, type AgentFence } from '../../os/profile';
import { hostArch } from '../../os/syscalls';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { startDaemon } from './serve';

interface ExecOpts {
  agent: string;
  trust?: string;
  /** The pack name this host expects (`--name`, else FMS_PACK_NAME), and a trust-file deployment. */
  name?: string;
  deployment?: string;
  dryRun?: boolean;
  socket?: string;
  serve?: boolean;
  log?: string;
  logKey?: string;
  /** `json`: exec's own refusals and errors (and `--dry-run`) as one JSON document on stdout; the command's output stays the command's. */
  format: string;
}

/** Where the `fms-exec` loader is: $FMS_EXEC, next to the bundle (dist/), or dist/ from the sources. */
function findLoader(): string {
  const env = process.env.FMS_EXEC;
  if (env) return env;
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, 'fms-exec'), join(here, '..', '..', '..', '..', 'dist', 'fms-exec')];
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new CliError('the loader `fms-exec` is not built: run `npm run build` (it needs a C compiler) or set FMS_EXEC', EXIT.usage);
  return found;
}

/** The verified fence of `agent`, or a refusal naming why there is none. */
function fenceOf(packPath: string, o: ExecOpts): AgentFence {
  const pack = loadPackForCli(packPath, { agent: o.agent, tool: '', ...(o.trust !== undefined ? { trust: o.trust } : {}), ...(o.name !== undefined ? { name: o.name } : {}), ...(o.deployment !== undefined ? { deployment: o.deployment } : {}) });
  if (!pack.model.agents.some((a) => a.id === o.agent)) throw new CliError(`unknown agent \`${o.agent}\` in \`${packPath}\``, EXIT.usage);
  // INVARIANT: readBody already parsed and checked these sections; this re-read cannot fail on a verified pack.
  const f = readFenceSections(pack.model.reserved).get(o.agent);
  if (!f) throw new CliError(`agent \`${o.agent}\` has no \`enforcement {}\` block in \`${packPath}\`: refusing to run it without a kernel fence`, EXIT.refused);
  return f;
}

/**
 * Registers `fms-run exec PACK --agent A [--trust FILE] [--dry-run] -- CMD ARGS…`:
 * verifies the pack, takes the agent's fence, and starts `fms-exec` with the
 * profile on an inherited pipe (fd 3; the pack is never re-read from disk).
 * Exits with the command's status (128 + signal when it was killed).
 * With `--format json`, exec's own refusals and errors are a JSON document on
 * stdout (`{"version": 1, "tool": "fms-run", "ok": false, "error": …}`, via
 * `runProgram`) besides their line on stderr, and `--dry-run` prints the fence
 * as JSON; once the command runs, stdout is the command's alone.
 */
export function register(program: Command): void {
  nameFlags(program.command('exec'))
    .argument('<pack>', 'signed pack (.fmspack)')
    .argument('[cmd...]', 'the command to run inside the fence (after `--`)')
    .description("run a command inside an agent's kernel fence (seccomp + Landlock) from a verified pack")
    .requiredOption('--agent <id>', 'agent id')
    .option('--trust <file>', 'trust roots (default $FMS_TRUST)')
    .option('--dry-run', 'print the fence (Landlock rules and the seccomp program) instead of running')
    .option('--socket <path>', 'where the decision server for the command listens (default: a fresh 0700 directory under $TMPDIR); passed to it as FMS_SOCKET')
    .option('--no-serve', 'do not start the decision server (no FMS_SOCKET)')
    .option('--log <file>', 'decision log of the server (as `fms-run serve --log`)')
    .option('--log-key <uri>', 'checkpoint key of the decision log (file:PATH)')
    .addOption(formatOption())
    .action(async (packPath: string, cmd: string[], o: ExecOpts) => {
      const arch = hostArch();
      const f = fenceOf(packPath, o);
      if (o.dryRun) {
        const text = describeFence(f, arch ? [arch] : ['x86_64', 'aarch64']);
        if (o.format === 'json') {
          process.stdout.write(JSON.stringify({ version: JSON_VERSION, tool: 'fms-run', ok: true, dry_run: true, agent: f.agent, profile: f.profile, isolation: f.isolation, fence: text.split('\n') }, null, 2) + '\n');
        } else process.stdout.write(text + '\n');
        return;
      }
      if (!arch) throw new CliError(`no kernel fence for ${process.platform}/${process.arch}: only Linux on x86_64 and aarch64`, EXIT.refused);
      if (cmd.length === 0) throw new CliError('no command: write it after `--`, e.g. `fms-run exec pack --agent a -- sh -c ...`', EXIT.usage);
      const loader = findLoader();
      if (f.profile === 'off') process.stderr.write(`fms-run: agent \`${o.agent}\` has profile off: no kernel fence\n`);
      const profile = encodeExecProfile(f, arch);
      // The same decision server as `fms-run serve`, for the command (FMS_SOCKET).
      let socketDir: string | null = null;
      let server: Awaited<ReturnType<typeof startDaemon>> | null = null;
      const env = { ...process.env };
      if (o.serve !== false) {
        if (o.socket === undefined) socketDir = mkdtempSync(join(tmpdir(), 'fms-exec-'));
        const socket = o.socket ?? join(socketDir!, 'decide.sock');
        const report = (line: string): void => void process.stderr.write(`fms-run: ${line}\n`);
        server = await startDaemon(packPath, { socket, ...(o.trust !== undefined ? { trust: o.trust } : {}), ...(o.log !== undefined ? { log: o.log } : {}), ...(o.logKey !== undefined ? { logKey: o.logKey } : {}) }, report);
        env.FMS_SOCKET = socket;
      }
      const child = spawn(loader, ['3', ...cmd], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], env });
      const pipe = child.stdio[3] as NodeJS.WritableStream;
      pipe.on('error', () => {}); // the loader reports its own failure
      pipe.end(profile);
      const forward = (sig: NodeJS.Signals) => () => child.kill(sig);
      const onInt = forward('SIGINT');
      const onTerm = forward('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      const code = await new Promise<number>((resolve, reject) => {
        child.on('error', (e) => reject(new CliError(`cannot start \`${loader}\`: ${(e as NodeJS.ErrnoException).code ?? e.message}`, EXIT.usage)));
        child.on('exit', (status, signal) => resolve(status ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0)));
      });
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      await server?.close();
      if (socketDir) rmSync(socketDir, { recursive: true, force: true });
      process.exitCode = code;
    });
}
