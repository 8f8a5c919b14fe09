/**
 * The one-line message of an SDK or network error, without secrets: the
 * error's name/code and the first line of its message, capped. SDK errors
 * carry no credentials in their messages; request bodies and headers are
 * never included.
 */
export function oneLine(e: unknown): string {
  if (e === null || typeof e !== 'object') return String(e).split('\n')[0]!.slice(0, 200);
  const o = e as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  const cause = o.cause as { code?: unknown } | undefined;
  const code = typeof o.code === 'string' ? o.code : typeof cause?.code === 'string' ? cause.code : undefined;
  const msg = typeof o.message === 'string' ? o.message.split('\n')[0]!.trim() : '';
  const name = typeof o.name === 'string' && o.name !== 'Error' ? o.name : undefined;
  const head = [name, code && code !== name ? code : undefined].filter(Boolean).join(' ');
  const text = head && msg ? `${head}: ${msg}` : head || msg || 'error';
  return text.length > 240 ? text.slice(0, 237) + '...' : text;
}

/**
 * The one-line refusal when an optional SDK package cannot be loaded (an
 * install that left it out, e.g. `npm ci --omit=optional` or a trimmed
 * deployment): names the package to install.
 */
export function sdkMissing(scheme: string, pkg: string, e: unknown): Error {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return new Error(`${scheme}: the SDK package \`${pkg}\` is not installed (npm install ${pkg})`);
  return new Error(`${scheme}: the SDK package \`${pkg}\` does not load: ${oneLine(e)}`);
}
