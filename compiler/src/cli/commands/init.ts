import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { CliError, EXIT, ioErrorMessage } from '@fms/runtime/cli-kit';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { devKeySigner } from '../../sign/index';

/** The starter policy `fmsc init` writes: it checks clean (also --strict), is in `fmsc fmt` layout, and its fixture passes. */
export const STARTER_POLICY = `# Your first policy. Check it, test it, build it:
#   fmsc check governance.fms
#   fmsc test
#   fmsc build governance.fms
#   fms-run eval governance.fmspack --trust trust.json --agent assistant --tool docs/search

agent "assistant" {
  default deny

  rules {
    deny! shell/* reason: "assistants never run shell commands"

    permit docs/search
    permit tickets/refund if amount <= $50
    defer tickets/refund if amount <= $500 reason: "refunds over $50 need a person"
    # anything larger goes to the finance team
    deny tickets/refund reason: "refunds over $500 are handled by the finance team"
  }
}
`;

/** The starter fixture's cases (`fmsc test` finds `*.fmtest.json` files). */
const STARTER_CASES = [
  { name: 'search is allowed', tool: 'docs/search', expect: { effect: 'permit' } },
  { name: 'small refunds go through', tool: 'tickets/refund', args: { amount: 20 }, expect: { effect: 'permit' } },
  { name: 'larger refunds wait for a person', tool: 'tickets/refund', args: { amount: 200 }, expect: { effect: 'defer' } },
  { name: 'huge refunds are denied', tool: 'tickets/refund', args: { amount: 5000 }, expect: { effect: 'deny' } },
  { name: 'shell is never allowed', tool: 'shell/exec', expect: { effect: 'deny' } },
  { name: 'anything else is denied by default', tool: 'email/send', expect: { effect: 'deny' } },
];

/**
 * The starter fixture. `schema` is the `$schema` reference (the fixture
 * schema this toolchain ships, for editor completion and checks); without one
 * the key is left out.
 */
export function starterFixture(schema: string | undefined): string {
  return JSON.stringify({ ...(schema ? { $schema: schema } : {}), policy: 'governance.fms', agent_id: 'assistant', cases: STARTER_CASES }, null, 2) + '\n';
}

/**
 * The fixture schema shipped with this toolchain (`schemas/fmtest.schema.json`
 * of the repository): found by walking up from this module (the bundle in
 * `dist/`, or the source under `compiler/src/`).
 */
export function shippedFixtureSchema(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const f = join(dir, 'schemas', 'fmtest.schema.json');
    if (existsSync(f)) return f;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

/** The `$schema` value for a fixture in `projectDir`: the shipped schema's path relative to it, with `/`. */
export function schemaRef(projectDir: string, schema: string | undefined): string | undefined {
  return schema === undefined ? undefined : relative(projectDir, schema).split(sep).join('/');
}

const GITIGNORE = '# built policy packs (rebuild with `fmsc build`); commit governance.fms.lock\n*.fmspack\n';

/**
 * Registers `fmsc init [DIR]`: a starter policy, a fixture, a trust file that
 * pins the development key (created on first use), and a `.gitignore`. An
 * existing file is never overwritten (exit 2 naming it) unless `--force`.
 */
export function register(program: Command): void {
  program
    .command('init')
    .description('start a project: governance.fms, a test fixture, trust.json (development key) and .gitignore')
    .argument('[dir]', 'project folder (created when missing)', '.')
    .option('--force', 'overwrite files that already exist')
    .action((dir: string, o: { force?: boolean }) => {
      const root = resolve(dir);
      const files: Array<[string, () => string]> = [
        ['governance.fms', () => STARTER_POLICY],
        ['governance.fmtest.json', () => starterFixture(schemaRef(root, shippedFixtureSchema()))],
        ['trust.json', () => {
          const dev = devKeySigner();
          return readFileSync(dev.trustPath, 'utf8');
        }],
        ['.gitignore', () => GITIGNORE],
      ];
      const existing = files.map(([n]) => n).filter((n) => existsSync(join(root, n)));
      if (existing.length && !o.force) throw new CliError(`\`${dir}\` already has ${existing.map((n) => `\`${n}\``).join(', ')}: nothing written (pass --force to overwrite)`, EXIT.usage);
      try {
        mkdirSync(root, { recursive: true });
      } catch (e) {
        throw new CliError(ioErrorMessage('write', dir, e), EXIT.usage);
      }
      for (const [name, text] of files) {
        const path = join(root, name);
        try {
          writeFileAtomic(path, text());
        } catch (e) {
          throw new CliError(ioErrorMessage('write', path, e), EXIT.usage);
        }
        process.stderr.write(`fmsc: wrote ${join(dir, name)}\n`);
      }
      process.stderr.write(`fmsc: next: cd ${dir} && fmsc check governance.fms && fmsc test && fmsc build governance.fms\n`);
    });
}
