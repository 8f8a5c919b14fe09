import type { Command } from 'commander';
import { CliError, EXIT } from '@fms/runtime/cli-kit';

/** One subcommand as the completion scripts see it. */
interface Entry {
  name: string;
  description: string;
  flags: string[];
  /** Choices of a flag that takes one of a few values (`--format text|json`). */
  choices: Map<string, readonly string[]>;
}

function entries(program: Command): Entry[] {
  return program.commands.map((c) => {
    const choices = new Map<string, readonly string[]>();
    const flags: string[] = [];
    for (const o of c.options) {
      if (o.long) flags.push(o.long);
      if (o.short) flags.push(o.short);
      if (o.long && o.argChoices) choices.set(o.long, o.argChoices);
    }
    // A command with subcommands (`fmsc trust init|add|…`) completes their names too.
    for (const sub of c.commands) flags.push(sub.name());
    flags.push('--help');
    return { name: c.name(), description: c.description().split('\n')[0], flags, choices };
  });
}

const shQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A bash completion script for `tool` (`source <(fmsc completion bash)`). */
export function bashCompletion(tool: string, program: Command): string {
  const es = entries(program);
  const fn = `_${tool.replace(/[^A-Za-z0-9_]/g, '_')}_complete`;
  const cases = es
    .map((e) => {
      const ch = [...e.choices].map(([f, vs]) => `        ${f}) COMPREPLY=($(compgen -W ${shQuote(vs.join(' '))} -- "$cur")); return ;;`).join('\n');
      return `    ${e.name})\n      case "$prev" in\n${ch}${ch ? '\n' : ''}      esac\n      COMPREPLY=($(compgen -W ${shQuote(e.flags.join(' '))} -- "$cur") $(compgen -f -- "$cur"));;`;
    })
    .join('\n');
  return `# bash completion for ${tool}; enable with: source <(${tool} completion bash)
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W ${shQuote([...es.map((e) => e.name), '--help', '--version'].join(' '))} -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
}
complete -o filenames -F ${fn} ${tool}
`;
}

/** A zsh completion script (`source <(fmsc completion zsh)`, or save it as `_fmsc` on $fpath). */
export function zshCompletion(tool: string, program: Command): string {
  const es = entries(program);
  const esc = (s: string): string => s.replace(/[:'\\[\]]/g, (c) => (c === "'" ? `'\\''` : `\\${c}`));
  const cmds = es.map((e) => `    '${esc(e.name)}:${esc(e.description)}'`).join('\n');
  const cases = es.map((e) => `    ${e.name}) _arguments ${e.flags.filter((f) => f.startsWith('--')).map((f) => `'${f}[]'`).join(' ')} '*:file:_files' ;;`).join('\n');
  return `#compdef ${tool}
# zsh completion for ${tool}; enable with: source <(${tool} completion zsh)
_${tool.replace(/[^A-Za-z0-9_]/g, '_')}() {
  local -a cmds
  cmds=(
${cmds}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' cmds
    return
  fi
  case "\${words[2]}" in
${cases}
  esac
}
compdef _${tool.replace(/[^A-Za-z0-9_]/g, '_')} ${tool}
`;
}

/** A fish completion script (`fmsc completion fish > ~/.config/fish/completions/fmsc.fish`). */
export function fishCompletion(tool: string, program: Command): string {
  const es = entries(program);
  const lines = [`# fish completion for ${tool}; enable with: ${tool} completion fish > ~/.config/fish/completions/${tool}.fish`, `complete -c ${tool} -f`];
  for (const e of es) lines.push(`complete -c ${tool} -n __fish_use_subcommand -a ${e.name} -d ${shQuote(e.description)}`);
  for (const e of es) {
    for (const f of e.flags) {
      if (!f.startsWith('--')) continue;
      const vs = e.choices.get(f);
      lines.push(`complete -c ${tool} -n '__fish_seen_subcommand_from ${e.name}' -l ${f.slice(2)}${vs ? ` -x -a ${shQuote(vs.join(' '))}` : ''}`);
    }
    lines.push(`complete -c ${tool} -n '__fish_seen_subcommand_from ${e.name}' -F`);
  }
  return lines.join('\n') + '\n';
}

/** Registers `fmsc completion bash|zsh|fish`: prints a completion script for the shell. */
export function register(program: Command): void {
  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish (e.g. `source <(fmsc completion bash)`)')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const make = shell === 'bash' ? bashCompletion : shell === 'zsh' ? zshCompletion : shell === 'fish' ? fishCompletion : undefined;
      if (!make) throw new CliError(`unknown shell \`${shell}\`: use bash, zsh or fish`, EXIT.usage);
      process.stdout.write(make(program.name(), program));
    });
}
