import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A parsed RFC 7512 `pkcs11:` URI (only the attributes fms uses). */
export interface Pkcs11Uri {
  /** Path attributes, percent-decoded (`token`, `object`, `serial`, `slot-id`, …). */
  path: Map<string, string>;
  /** `id` as raw bytes, when given. */
  id?: Uint8Array;
  /** Query attributes, percent-decoded (`module-path`, `pin-source`, `pin-value`, `module-name`). */
  query: Map<string, string>;
}

const PATH_ATTRS = new Set([
  'token', 'manufacturer', 'serial', 'model', 'library-manufacturer', 'library-description', 'library-version',
  'object', 'type', 'id', 'slot-description', 'slot-manufacturer', 'slot-id',
]);
const QUERY_ATTRS = new Set(['pin-source', 'pin-value', 'module-name', 'module-path']);

function pctDecodeBytes(s: string, what: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new Error(`pkcs11 uri: bad percent-encoding in \`${what}\``);
      out.push(parseInt(h, 16));
      i += 2;
    } else out.push(...Buffer.from(s[i] as string, 'utf8'));
  }
  return Uint8Array.from(out);
}

function pctDecode(s: string, what: string): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(pctDecodeBytes(s, what));
}

/**
 * Parses `pkcs11:token=…;object=…;id=%01?module-path=…&pin-source=file:…`
 * (RFC 7512). Unknown standard attributes are an error; `x-` vendor
 * attributes are ignored. Error messages never echo `pin-value`.
 */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!uri.startsWith('pkcs11:')) throw new Error('not a pkcs11 uri');
  const rest = uri.slice('pkcs11:'.length);
  const q = rest.indexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  const queryPart = q < 0 ? '' : rest.slice(q + 1);
  const path = new Map<string, string>();
  const query = new Map<string, string>();
  let id: Uint8Array | undefined;
  for (const item of pathPart.split(';').filter((x) => x !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`pkcs11 uri: path attribute without value`);
    const k = item.slice(0, eq);
    const v = item.slice(eq + 1);
    if (!PATH_ATTRS.has(k)) {
      if (k.startsWith('x-')) continue;
      throw new Error(`pkcs11 uri: unknown path attribute \`${k}\``);
    }
    if (path.has(k)) throw new Error(`pkcs11 uri: attribute \`${k}\` given twice`);
    if (k === 'id') id = pctDecodeBytes(v, k);
    path.set(k, k === 'id' ? v : pctDecode(v, k));
  }
  for (const item of queryPart.split('&').filter((x) => x !== '')) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new Error(`pkcs11 uri: query attribute without value`);
    const k = item.slice(0, eq);
    if (!QUERY_ATTRS.has(k)) {
      if (k.startsWith('x-')) continue;
      throw new Error(`pkcs11 uri: unknown query attribute \`${k}\``);
    }
    if (query.has(k)) throw new Error(`pkcs11 uri: attribute \`${k}\` given twice`);
    query.set(k, pctDecode(item.slice(eq + 1), k));
  }
  if (query.has('pin-source') && query.has('pin-value')) throw new Error('pkcs11 uri: give `pin-source` or `pin-value`, not both');
  return { path, query, ...(id ? { id } : {}) };
}

/**
 * The PIN for a URI: `pin-value`, else the first line of the file named by
 * `pin-source` (`file:` URI or absolute path), else env `FMS_PKCS11_PIN`.
 * Undefined when none is given (no login).
 */
export function resolvePin(u: Pkcs11Uri, env: NodeJS.ProcessEnv): string | undefined {
  const v = u.query.get('pin-value');
  if (v !== undefined) return v;
  const src = u.query.get('pin-source');
  if (src !== undefined) {
    let p: string;
    if (src.startsWith('file:')) p = fileURLToPath(src.startsWith('file://') ? src : 'file://' + src.slice('file:'.length));
    else if (src.startsWith('/')) p = src;
    else throw new Error('pkcs11 uri: `pin-source` must be a `file:` uri or an absolute path');
    try {
      return readFileSync(p, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (e) {
      throw new Error(`pkcs11: cannot read pin-source \`${p}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  }
  return env.FMS_PKCS11_PIN;
}
