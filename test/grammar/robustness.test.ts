import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { tokenize } from './textmate';

// The grammar on hostile input: very long lines, deep nesting, unterminated
// strings, prototype names. Tokenizing must finish quickly and keep going on
// the next line (no regex backtracking blow-up, no runaway multi-line state).

const timed = async (text: string): Promise<{ ms: number; lines: Awaited<ReturnType<typeof tokenize>> }> => {
  const t = performance.now();
  const lines = await tokenize(text);
  return { ms: performance.now() - t, lines };
};

const scopesOfLast = (lines: Awaited<ReturnType<typeof tokenize>>): string[] => lines[lines.length - 1]!.flatMap((t) => t.scopes);

// VS Code stops tokenizing a line after 20,000 characters (editor.maxTokenizationLineLength);
// the bound is generous because the test machines are shared.
test('a 20,000-character line of conditions and a 200 KB tool name tokenize in bounded time', async () => {
  const { ms } = await timed(`${'permit a/b if x == "y" and '.repeat(740)}\npermit ${'a/'.repeat(100_000)}*\n`);
  assert.ok(ms < 10_000, `${ms} ms`);
});

test('pathological near-matches (no closing quote, many backslashes, long digit runs) stay linear', async () => {
  const inputs = [
    `reason "${'\\\\'.repeat(50_000)}`,
    `x matches "${'(a+)+'.repeat(10_000)}`,
    `max ${'9'.repeat(100_000)}x`,
    `key ed25519:${'A'.repeat(100_000)}!`,
    `${'args.'.repeat(30_000)}x`,
    `env(${'('.repeat(20_000)}`,
  ];
  for (const text of inputs) {
    const { ms } = await timed(`${text}\npermit ok/tool`);
    assert.ok(ms < 3000, `${text.slice(0, 30)}…: ${ms} ms`);
  }
});

test('deep nesting and unterminated constructs do not leak into the next line', async () => {
  for (const first of ['permit x if ' + '('.repeat(10_000), 'reason "never closed', "notify 'never closed", 'permit x if a matches "never closed', 'postgres_url env("X"', '```fms']) {
    const { lines } = await timed(`${first}\ndeny! shell/*`);
    assert.ok(scopesOfLast(lines).includes('keyword.control.effect.deny.mandatory.fms'), first.slice(0, 40));
  }
});

test('host-language property names are plain FPL names', async () => {
  const { lines } = await timed('agent __proto__ {\n  toString constructor\n  rules { permit hasOwnProperty/* if __proto__.x == constructor }\n}');
  const flat = lines.flat();
  assert.ok(flat.find((t) => t.text === '__proto__')!.scopes.includes('entity.name.type.agent.fms'));
  assert.ok(flat.find((t) => t.text === 'toString')!.scopes.includes('support.type.property-name.fms'));
  assert.ok(flat.find((t) => t.text.startsWith('hasOwnProperty'))!.scopes.includes('entity.name.function.tool.fms'));
});

test.run();
