/**
 * Fixture discovery for the Test Explorer, without VS Code: a `*.fmtest.json`
 * file (`{policy?, agent_id, cases:[{name, …}]}`, DESIGN §8) becomes a fixture
 * item with one child per case and the line where each case starts.
 */

/** One case of a fixture: its name, its index in `cases` and its 0-based line in the file. */
export interface FixtureCase {
  name: string;
  index: number;
  line: number;
  /** A stable id among the fixture's cases (`name`, or `name #2` for a repeated name). */
  id: string;
}

/** A fixture file read for the Test Explorer. */
export type FixtureFile =
  | { ok: true; agentId: string; policy: string | undefined; cases: FixtureCase[] }
  | { ok: false; reason: string };

/** Fixture files larger than this are not read (a Test Explorer entry says so). */
export const MAX_FIXTURE_BYTES = 4 * 1024 * 1024;

const own = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** Reads a fixture's text: its cases with their lines, or the one-line reason it cannot be used. */
export function readFixture(text: string): FixtureFile {
  if (text.length > MAX_FIXTURE_BYTES) return { ok: false, reason: `fixture is larger than ${MAX_FIXTURE_BYTES} bytes` };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `not JSON: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ok: false, reason: 'a fixture is a JSON object' };
  const d = doc as Record<string, unknown>;
  if (!own(d, 'agent_id') || typeof d.agent_id !== 'string') return { ok: false, reason: 'a fixture needs a string agent_id' };
  if (!own(d, 'cases') || !Array.isArray(d.cases)) return { ok: false, reason: 'a fixture needs a cases list' };
  if (own(d, 'policy') && typeof d.policy !== 'string') return { ok: false, reason: 'policy must be a string path' };
  const lines = caseLines(text);
  const seen = new Map<string, number>();
  const cases: FixtureCase[] = [];
  for (const [index, c] of (d.cases as unknown[]).entries()) {
    if (typeof c !== 'object' || c === null || Array.isArray(c)) return { ok: false, reason: `case ${index + 1} is not an object` };
    const rec = c as Record<string, unknown>;
    if (!own(rec, 'name') || typeof rec.name !== 'string') return { ok: false, reason: `case ${index + 1} needs a string name` };
    const n = (seen.get(rec.name) ?? 0) + 1;
    seen.set(rec.name, n);
    cases.push({ name: rec.name, index, line: lines[index] ?? 0, id: n === 1 ? rec.name : `${rec.name} #${n}` });
  }
  return { ok: true, agentId: d.agent_id, policy: own(d, 'policy') ? (d.policy as string) : undefined, cases };
}

/**
 * The 0-based line where each element of the top-level `cases` array starts,
 * found by scanning the JSON text once (strings and nesting respected; of a
 * repeated `cases` key the last counts, as in `JSON.parse`).
 */
export function caseLines(text: string): number[] {
  const out: number[] = [];
  let line = 0;
  let depth = 0;
  let inString = false;
  let lastKey = '';
  let keyStart = -1;
  let casesDepth = -1;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\n') line++;
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') {
        inString = false;
        lastKey = text.slice(keyStart + 1, i);
      }
      continue;
    }
    if (ch === '"') {
      inString = true;
      keyStart = i;
    } else if (ch === '{' || ch === '[') {
      if (ch === '{' && depth === casesDepth) out.push(line);
      if (ch === '[' && depth === 1 && lastKey === 'cases') {
        // JSON.parse keeps the last of repeated keys: so do the lines.
        out.length = 0;
        casesDepth = depth + 1;
      }
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === casesDepth - 1 && ch === ']') casesDepth = -2;
    } else if (ch === ',' || ch === ':') {
      if (ch === ',') lastKey = '';
    }
  }
  return out;
}
