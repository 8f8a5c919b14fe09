/**
 * The incremental front end the language server runs on every edit
 * (`compileIncremental`, `reparse`) equals a full `compile()` of the same
 * text: random edit sequences over generated policies, the fixtures, the
 * examples and the corpus, compared step by step (AST, IR and diagnostics, as
 * JSON). Edits are of two families: ones that keep the text parseable (where
 * the incremental path is taken: numbers, lines and whole blocks moved,
 * duplicated or deleted, comments and blank lines) and the fuzzer's character
 * mutations (syntax errors, where the full parse takes over). Counts are
 * printed. `FMS_INCR_STEPS` sets the steps per source (default 40).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import { compile, compileIncremental, parse, reparse, type CompileResult } from '@fms/compiler';
import { generatePolicy } from '../bench/check-bench';
import { genMutation, genPolicy, mutate, rng, type Rng } from '../helpers/fpl-gen';
import { corpusSuite, ROOT, walk } from '../helpers/paths';

const { dir: CORPUS, test } = corpusSuite('test/lsp/incremental.test.ts');
const STEPS = Number(process.env.FMS_INCR_STEPS ?? 40);
const SEED = Number(process.env.FMS_FUZZ_SEED ?? 20261130);
const OPTS = { env: { HOME: '/home/x' } };

const json = (r: CompileResult): string => JSON.stringify({ ast: r.ast, ir: r.ir, diagnostics: r.diagnostics });

/** Line-level and block-level edits that usually keep a policy parseable, plus character mutations. */
function edit(text: string, r: Rng): string {
  const lines = text.split('\n');
  const li = r.int(lines.length);
  switch (r.int(12)) {
    case 0: {
      // Change a number or an amount somewhere.
      const ms = [...text.matchAll(/\$?[0-9]+/g)];
      if (!ms.length) return text + '\n';
      const m = r.pick(ms);
      return text.slice(0, m.index) + (m[0].startsWith('$') ? '$' : '') + String(r.int(1000)) + text.slice(m.index + m[0].length);
    }
    case 1:
      lines.splice(li, 1);
      return lines.join('\n');
    case 2:
      lines.splice(li, 0, lines[r.int(lines.length)]!);
      return lines.join('\n');
    case 3:
      lines.splice(li, 0, r.pick(['', '# a comment', '  # indented comment', '   ', 'agent "new-one" {\n  default deny\n  rules {\n    permit a/x\n  }\n}', 'runtime {\n  mode = "shadow"\n}']));
      return lines.join('\n');
    case 4: {
      // Move a whole top-level block (from a line starting with a word to its closing `}` line).
      const starts = lines.flatMap((l, i) => (/^[a-z]/.test(l) ? [i] : []));
      if (!starts.length) return text;
      const s = r.pick(starts);
      let e = s;
      while (e < lines.length - 1 && lines[e] !== '}') e++;
      const block = lines.splice(s, e - s + 1);
      const at = r.int(lines.length + 1);
      if (r.chance(0.5)) lines.splice(at, 0, ...block);
      return lines.join('\n');
    }
    case 5: {
      // Swap two characters at the same place, keeping the length (delta 0).
      const at = r.int(Math.max(1, text.length - 1));
      return text.slice(0, at) + text.charAt(at + 1) + text.charAt(at) + text.slice(at + 2);
    }
    case 6:
      // Append or remove text at the very end or start.
      return r.chance(0.5) ? text + r.pick(['\n', '\n# end', '\nagent "tail" {\n}\n', '}', ' permit x']) : text.slice(r.int(3));
    case 7: {
      // Edit inside a string.
      const ms = [...text.matchAll(/"[^"\n]*"/g)];
      if (!ms.length) return text;
      const m = r.pick(ms);
      return text.slice(0, m.index + 1) + r.pick(['x', '', 'toString', '__proto__', 'a/*', 'ops']) + text.slice(m.index + m[0].length - 1);
    }
    default:
      return mutate(text, [genMutation(r)]);
  }
}

interface Counts {
  steps: number;
  reparsed: number;
}

/** Runs an edit sequence from `start`, checking every step; returns the counts. */
function sequence(name: string, start: string, r: Rng, steps: number): Counts {
  let text = start;
  let prev = { text, result: compileIncremental(undefined, text, 'governance.fms', OPTS) };
  assert.is(json(prev.result), json(compile(text, 'governance.fms', OPTS)), `${name}: first compile`);
  const c: Counts = { steps: 0, reparsed: 0 };
  for (let i = 0; i < steps; i++) {
    // Now and then go back to the start (errors fixed), so clean texts keep coming.
    text = r.chance(0.1) ? start : edit(text, r);
    const full = compile(text, 'governance.fms', OPTS);
    if (prev.result.ir) {
      // On a copy: `reparse` takes its input over, and the same `prev` feeds `compileIncremental` below.
      const p = reparse({ text: prev.text, ast: structuredClone(prev.result.ast) }, text);
      if (p) {
        c.reparsed++;
        assert.is(JSON.stringify(p), JSON.stringify(parse(text)), `${name} step ${i}: reparse ≠ parse`);
      }
    }
    const inc = compileIncremental(prev, text, 'governance.fms', OPTS);
    if (json(inc) !== json(full)) {
      assert.fixture(json(inc), json(full), `${name} step ${i}: incremental ≠ full for ${JSON.stringify(text.slice(0, 300))}`);
    }
    prev = { text, result: inc };
    c.steps++;
  }
  return c;
}

const total: Counts = { steps: 0, reparsed: 0 };
const add = (c: Counts): void => {
  total.steps += c.steps;
  total.reparsed += c.reparsed;
};

test('generated policies (the benchmark generator and the fuzzer generator)', () => {
  const r = rng(SEED);
  add(sequence('generatePolicy(400)', generatePolicy(400), r, STEPS * 3));
  for (let s = 0; s < 30; s++) add(sequence(`genPolicy(${SEED + s})`, genPolicy(SEED + s).source, r, STEPS));
});

test('fixtures and examples', () => {
  const r = rng(SEED + 1);
  const files = [...walk(join(ROOT, 'test/fixtures')), ...walk(join(ROOT, 'examples'))].filter((f) => f.endsWith('.fms'));
  assert.ok(files.length > 10);
  for (const f of files) add(sequence(f, readFileSync(f, 'utf8'), r, Math.ceil(STEPS / 4)));
});

test('corpus', () => {
  const r = rng(SEED + 2);
  const files = walk(CORPUS).filter((f) => f.endsWith('.fms'));
  for (const f of files) add(sequence(f, readFileSync(f, 'utf8'), r, Math.ceil(STEPS / 4)));
});

/** Edits at the boundaries the splice relies on: each pair is (before, after); the incremental result must equal the full one. */
const BOUNDARY_CASES: [string, string][] = [
  // The region's last item is no closed block: the next line's tokens continue it (a clause of the new rule).
  ['agent "a" {\n}\nreason: "y"\n', 'agent "a" {\n}\npermit x\nreason: "y"\n'],
  ['agent "a" {\n}\nif: x\n', 'agent "a" {\n}\npermit x\nif: x\n'],
  ['agent "a" {\n}\n# c\nreason: "y"\n', 'agent "a" {\n}\npermit x\n# c\nreason: "y"\n'],
  ['agent "a" {\n}\n\nnotify = "y"\n', 'agent "a" {\n}\npermit x\n\nnotify = "y"\n'],
  // Items on one line: a comment typed after a `}` runs to the end of the line.
  ['agent "a" { } agent "b" { }\n', 'agent "a" { } # agent "b" { }\n'],
  ['agent "a" { }\tagent "b" { }\n', 'agent "a" { }\t"x agent "b" { }\n'],
  // A word typed right before the next item's first word, or right after a `}`.
  ['agent "a" {\n}\nagent "b" {\n}\n', 'agent "a" {\n}\nxagent "b" {\n}\n'],
  ['agent "a" {\n}\nagent "b" {\n}\n', 'agent "a" {\n}x\nagent "b" {\n}\n'],
  // A closing brace removed, added, or a block opened at the end.
  ['agent "a" {\n}\nagent "b" {\n}\n', 'agent "a" {\n\nagent "b" {\n}\n'],
  ['agent "a" {\n}\nagent "b" {\n}\n', 'agent "a" {\n}\n}\nagent "b" {\n}\n'],
  ['agent "a" {\n}\nagent "b" {\n}\n', 'agent "a" {\n}\nagent "b" {\n}\nagent "c" {\n'],
  // A backslash line continuation before the next item.
  ['agent "a" {\n}\nvar x = 1\nagent "b" {\n}\n', 'agent "a" {\n}\nvar x = 1 \\\nagent "b" {\n}\n'],
  // Multi-value fields and `manifest` read on along their line.
  ['runtime {\n}\nmanifest a\nagent "b" {\n}\n', 'runtime {\n}\nmanifest a agent\nagent "b" {\n}\n'],
  // Blank lines before the first re-used item appear and disappear.
  ['agent "a" {\n}\nagent "b" {\n}\n', 'agent "a" {\n}\n\n\nagent "b" {\n}\n'],
  ['agent "a" {\n}\n\n\nagent "b" {\n}\n', 'agent "a" {\n}\nagent "b" {\n}\n'],
  // Comments before, inside and after the region move with it.
  ['# top\nagent "a" {\n  # in a\n}\n# between\nagent "b" {\n  # in b\n}\n# end\n', '# top\nagent "a" {\n  # in a, longer\n}\n# between\nagent "b" {\n  # in b\n}\n# end\n'],
  // Everything deleted, and the whole text replaced.
  ['agent "a" {\n}\n', ''],
  ['', 'agent "a" {\n}\n'],
  // Nesting past the bound typed inside one block (FMS1020: nothing else is checked), then removed.
  ['agent "a" {\n}\nagent "b" {\n  rules { permit x if a }\n}\nagent "c" {\n}\n', `agent "a" {\n}\nagent "b" {\n  rules { permit x if ${'('.repeat(70)}a${')'.repeat(70)} }\n}\nagent "c" {\n}\n`],
  [`agent "a" {\n}\nagent "b" {\n  rules { permit x if ${'not '.repeat(70)}a }\n}\n`, 'agent "a" {\n}\nagent "b" {\n  rules { permit x if a }\n}\n'],
  // Hostile names as agents, vars and tools.
  ['agent "toString" {\n}\nagent "__proto__" {\n  var constructor = 1\n}\n', 'agent "toString" {\n  rules { permit __proto__/x if constructor > 1 }\n}\nagent "__proto__" {\n  var constructor = 1\n}\n'],
  // Surrogates, a lone one typed into a string.
  ['agent "a" {\n  model "\ud83d\ude00"\n}\nagent "b" {\n}\n', 'agent "a" {\n  model "\ud83d"\n}\nagent "b" {\n}\n'],
];

test('edits at the boundaries of the re-parsed region', () => {
  for (const [before, after] of BOUNDARY_CASES) {
    const first = compile(before, 'governance.fms', OPTS);
    const inc = compileIncremental({ text: before, result: first }, after, 'governance.fms', OPTS);
    assert.is(json(inc), json(compile(after, 'governance.fms', OPTS)), JSON.stringify([before, after]));
    // And back again.
    const back = compileIncremental({ text: after, result: inc }, before, 'governance.fms', OPTS);
    assert.is(json(back), json(first), JSON.stringify([after, before]));
  }
});

test('a large paste into a large policy, and its removal', () => {
  const base = generatePolicy(3000);
  const at = base.indexOf('agent "agent-10"');
  const paste = generatePolicy(3000).replace(/agent "agent-/g, 'agent "pasted-');
  const big = base.slice(0, at) + paste + '\n' + base.slice(at);
  const first = compile(base, 'governance.fms', OPTS);
  const inc = compileIncremental({ text: base, result: first }, big, 'governance.fms', OPTS);
  assert.is(json(inc), json(compile(big, 'governance.fms', OPTS)));
  const back = compileIncremental({ text: big, result: inc }, base, 'governance.fms', OPTS);
  assert.is(json(back), json(compile(base, 'governance.fms', OPTS)));
});

test('generated policies with several items on a line', () => {
  const r = rng(SEED + 3);
  for (let s = 0; s < 20; s++) {
    const src = genPolicy(SEED + 100 + s).source.replace(/\n\}\n/g, () => (r.chance(0.5) ? '\n} ' : '\n}\n'));
    add(sequence(`joined genPolicy(${SEED + 100 + s})`, src, r, STEPS));
  }
});

test('the incremental path is taken; the earlier IR and diagnostics keep their locations', () => {
  process.stdout.write(`\n  incremental front end: ${total.steps} edits compared with a full compile, ${total.reparsed} of them re-parsed incrementally\n`);
  assert.ok(total.reparsed > total.steps / 5, `only ${total.reparsed} of ${total.steps} edits took the incremental path`);
  // The earlier AST is taken over (its nodes move), but what was built from it — the IR, the diagnostics — stays put.
  const text = generatePolicy(200) + '\nagent "agent-1" {\n}\n';
  const first = compileIncremental(undefined, text, 'governance.fms', OPTS);
  assert.ok(first.diagnostics.length > 0, 'a diagnostic late in the file (the duplicate agent)');
  const before = JSON.stringify({ ir: first.ir, diagnostics: first.diagnostics });
  const at = text.indexOf('agent "agent-1"');
  const next = text.slice(0, at) + '# moved down\n\n' + text.slice(at).replace('$105', '$7');
  const second = compileIncremental({ text, result: first }, next, 'governance.fms', OPTS);
  assert.is(JSON.stringify({ ir: first.ir, diagnostics: first.diagnostics }), before);
  assert.is(json(second), json(compile(next, 'governance.fms', OPTS)));
  // Same text: the same AST comes back.
  assert.is(reparse({ text: next, ast: second.ast }, next)?.ast, second.ast);
});

test.run();
