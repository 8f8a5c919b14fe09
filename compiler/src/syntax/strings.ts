import { table } from '../util/table';

const ESCAPES = table<string>({ n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" });

/**
 * The value of a quoted string token (`"…"` or `'…'`). Known escapes are
 * decoded; an unknown escape keeps its backslash (`"\."` stays `\.`), so
 * regular expressions written with a single backslash still mean what their
 * author meant.
 */
export function unescapeString(raw: string): string {
  const body = raw.length >= 2 && raw[raw.length - 1] === raw[0] ? raw.slice(1, -1) : raw.slice(1);
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\' || i + 1 >= body.length) {
      out += c;
      continue;
    }
    const n = body[++i]!;
    if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(body.slice(i + 1, i + 5))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 5), 16));
      i += 4;
    } else if (n in ESCAPES) out += ESCAPES[n];
    else out += '\\' + n;
  }
  return out;
}

/** Quotes a string value for output, using double quotes and the escapes `unescapeString` reads. */
export function quoteString(value: string): string {
  let out = '"';
  for (const c of value) {
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\t') out += '\\t';
    else if (c === '\r') out += '\\r';
    else if (c === '\0') out += '\\0';
    else out += c;
  }
  return out + '"';
}

/** Offset of the first UTF-16 code unit that is half of a surrogate pair without its other half. */
export function loneSurrogateAt(s: string): number {
  const m = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.exec(s);
  return m ? m.index : -1;
}
