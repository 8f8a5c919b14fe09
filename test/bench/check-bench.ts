import { compile } from '@fms/compiler';
import { parse } from '@fms/compiler';

/** A realistic generated policy of about `lines` lines: agents with rules, conditions, limits and budgets. */
export function generatePolicy(lines: number): string {
  const out: string[] = ['runtime {', '  mode    = "enforce"', '  backend = "sqlite"', '}', ''];
  let a = 0;
  while (out.length < lines) {
    out.push(`# agent ${a}`, `agent "agent-${a}" {`, '  default deny', `  model "gpt-4o"`, '');
    out.push('  rules {', `    deny! shell/* reason: "agent ${a} never runs shell commands"`);
    for (let r = 0; r < 30; r++) {
      out.push(`    permit svc${r}/read_${a} if amount < $${100 + r} and principal.groups contains "ops"`);
      out.push(`    defer  svc${r}/write_${a} when args.cmd matches "^(deploy|rollback)" || time.hour >= 18`);
      out.push('      notify: "oncall"', `      reason: "writes to svc${r} need approval"`);
    }
    out.push('  }', '', `  rate_limit "svc*": ${10 + (a % 50)} per minute`, '  budget daily {', '    max       $500', '    warn_at   0.8', '    on_exceed defer', '  }');
    out.push('  redact svc1/write args: ["card.number", "card.cvv"]', '  egress {', '    allow = ["api.example.com", "*.example.org"]', '  }', '}', '');
    a++;
  }
  return out.join('\n');
}

function time(fn: () => void, runs: number): number {
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    fn();
    ts.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ts.sort((x, y) => x - y);
  return ts[Math.floor(ts.length / 2)]!;
}

/** `fmsc check` throughput (parse + lower + every check) on a generated 20,000-line policy. */
export async function benchCheck(): Promise<{ name: string; value: string }[]> {
  const text = generatePolicy(20_000);
  const lines = text.split('\n').length;
  const r = compile(text, 'bench.fms', { env: {} });
  const errs = r.diagnostics.filter((d) => d.severity === 'error');
  if (errs.length) throw new Error(`benchmark policy has errors: ${errs[0]!.message}`);
  for (let i = 0; i < 3; i++) compile(text, 'bench.fms', { env: {} }); // warm up
  const parseMs = time(() => parse(text, 'bench.fms'), 7);
  const checkMs = time(() => compile(text, 'bench.fms', { env: {} }), 7);
  return [
    { name: `fmsc check: policy size`, value: `${lines} lines, ${(text.length / 1024).toFixed(0)} KiB` },
    { name: 'fmsc check: parse only (median)', value: `${parseMs.toFixed(1)} ms = ${Math.round(lines / (parseMs / 1000)).toLocaleString('en-US')} lines/s` },
    { name: 'fmsc check: parse + IR + all checks (median)', value: `${checkMs.toFixed(1)} ms = ${Math.round(lines / (checkMs / 1000)).toLocaleString('en-US')} lines/s (target ≥ 50,000)` },
  ];
}
