/** Small JSON-over-HTTPS helper for the KMS adapters (Node 20 global fetch). */

/** Largest answer read (bytes): key store answers are a few KiB. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/** Reads at most {@link MAX_ANSWER_BYTES} of a body, or throws. */
async function boundedText(service: string, res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? '0');
  if (declared > MAX_ANSWER_BYTES) {
    await res.body?.cancel().catch(() => undefined);
    throw new Error(`${service}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
  }
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`${service}: answer larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Performs a request and returns the parsed JSON body, or throws a one-line error without secrets. */
export async function requestJson(
  service: string,
  url: string,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
    throw new Error(`${service}: request to \`${new URL(url).origin}\` failed: ${cause}`);
  }
  const text = await boundedText(service, res);
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const j = (json ?? {}) as Record<string, unknown>;
    const err = j.error as Record<string, unknown> | string | undefined;
    const detail =
      (typeof j.message === 'string' && j.message) ||
      (typeof j.Message === 'string' && j.Message) ||
      (typeof err === 'object' && err && typeof err.message === 'string' && err.message) ||
      (Array.isArray(j.errors) && typeof j.errors[0] === 'string' && j.errors[0]) ||
      (typeof j.__type === 'string' && j.__type) ||
      '';
    throw new Error(`${service}: http ${res.status}${detail ? `: ${String(detail).split('\n')[0]!.slice(0, 200)}` : ''}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${service}: answer is not a json object`);
  return json as Record<string, unknown>;
}

/** Reads a string field or throws a one-line error naming it. */
export function str(service: string, o: unknown, key: string): string {
  const v = o !== null && typeof o === 'object' && !Array.isArray(o) && Object.hasOwn(o, key) ? (o as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'string') throw new Error(`${service}: answer lacks \`${key}\``);
  return v;
}
