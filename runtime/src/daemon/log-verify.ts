/**
 * `fms-run log verify`: walks a decision log's hash chain across its files
 * and checks every checkpoint against pinned keys (see `decision-log.ts`).
 */
import { readFileSync } from 'node:fs';
import { decodeBase64Strict } from '../crypto/base64';
import { verifySignature } from '../crypto/verify-signature';
import { canonicalJson } from '../trust/canonical-json';
import { pae } from '../trust/dsse';
import type { TrustRoots } from '../trust/trust-roots';
import { CHECKPOINT_PAYLOAD_TYPE, GENESIS_HASH, LOG_FORMAT, lineHash } from './decision-log';

/** What {@link verifyLog} found. */
export interface LogVerifyResult {
  ok: boolean;
  /** Records read up to the first broken one (or all). */
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** The first broken record: where and why (one line). */
  broken?: { file: string; line: number; seq: number | null; reason: string };
  /** Last seq covered by a valid checkpoint (0 when none). */
  signedThrough: number;
  /** Key ids that signed the valid checkpoints. */
  signers: string[];
  checkpoints: number;
  /** Records after the last valid checkpoint: `[first, last]`, or null when every record is signed. */
  unsignedTail: [number, number] | null;
}

const HASH_RE = /^sha256:[0-9a-f]{64}$/;

/**
 * Verifies log files in chain order (sorted by their first seq). The chain
 * must start at seq 1 with the genesis hash unless `allowPartial` (a suffix
 * of a rotated log: the first record's `prev_hash` is then taken on trust and
 * said so). Checkpoint keys are the non-revoked keys of the trust file.
 * Never throws on log content.
 */
export function verifyLog(files: string[], trust: TrustRoots, opts: { allowPartial?: boolean } = {}): LogVerifyResult {
  const res: LogVerifyResult = { ok: true, records: 0, firstSeq: null, lastSeq: null, signedThrough: 0, signers: [], checkpoints: 0, unsignedTail: null };
  const signers = new Set<string>();
  const texts = files.map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));
  const firstSeqOf = (t: string): number => {
    try {
      const s = (JSON.parse(t.slice(0, t.indexOf('\n') >= 0 ? t.indexOf('\n') : t.length)) as { seq?: unknown }).seq;
      return typeof s === 'number' ? s : Number.MAX_SAFE_INTEGER;
    } catch {
      return Number.MAX_SAFE_INTEGER;
    }
  };
  texts.sort((a, b) => firstSeqOf(a.text) - firstSeqOf(b.text));
  let prevHash: string | null = null;
  /** Last seq that is not a valid checkpoint (a final checkpoint covers what precedes it, not itself). */
  let lastPlain = 0;
  let prevSeq = 0;
  /** Hashes of the records since the last valid checkpoint, by seq. */
  let hashes = new Map<number, string>();
  for (const { file, text } of texts) {
    let lineNo = 0;
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      const torn = end < 0;
      if (torn) end = text.length;
      const line = text.slice(start, end);
      start = end + 1;
      lineNo++;
      const fail = (seq: number | null, reason: string): LogVerifyResult => {
        res.ok = false;
        res.broken = { file, line: lineNo, seq, reason };
        return finish();
      };
      if (torn) return fail(null, 'the last line has no newline (a torn write): the records before it are the verified prefix');
      let r: { [k: string]: unknown };
      try {
        r = JSON.parse(line);
      } catch {
        return fail(null, 'not JSON');
      }
      if (r === null || typeof r !== 'object' || Array.isArray(r)) return fail(null, 'not a JSON object');
      const seq = r['seq'];
      if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return fail(null, 'no valid `seq`');
      if (typeof r['prev_hash'] !== 'string' || !HASH_RE.test(r['prev_hash'])) return fail(seq, 'no valid `prev_hash`');
      if (prevHash === null) {
        if (seq === 1 && r['prev_hash'] !== GENESIS_HASH) return fail(seq, 'the first record does not start the chain');
        if (seq !== 1 && !opts.allowPartial) return fail(seq, `the chain starts at seq ${seq}, not 1 (pass every file, or --partial for a suffix)`);
        res.firstSeq = seq;
      } else {
        if (seq !== prevSeq + 1) return fail(seq, `seq ${seq} follows seq ${prevSeq} (a record was deleted, inserted or moved)`);
        if (r['prev_hash'] !== prevHash) return fail(seq, `prev_hash does not match record ${prevSeq} (it or an earlier record was edited, deleted or moved)`);
      }
      const h = lineHash(line);
      if (r['type'] === 'checkpoint') {
        const why = checkCheckpoint(r, line, hashes, res.signedThrough, trust);
        if (typeof why === 'string') return fail(seq, why);
        res.checkpoints++;
        res.signedThrough = why.last;
        signers.add(why.keyid);
        const keep = new Map<number, string>();
        for (const [s, x] of hashes) if (s > why.last) keep.set(s, x);
        hashes = keep;
      } else lastPlain = seq;
      hashes.set(seq, h);
      prevHash = h;
      prevSeq = seq;
      res.records++;
      res.lastSeq = seq;
    }
  }
  return finish();

  function finish(): LogVerifyResult {
    res.signers = [...signers].sort();
    if (res.lastSeq !== null && lastPlain > res.signedThrough) res.unsignedTail = [Math.max(res.signedThrough + 1, res.firstSeq ?? 1), res.lastSeq];
    return res;
  }
}

/** Checks one checkpoint record; the covered range and key, or why it is invalid. */
function checkCheckpoint(r: { [k: string]: unknown }, line: string, hashes: Map<number, string>, signedThrough: number, trust: TrustRoots): { last: number; keyid: string } | string {
  const keys = ['seq', 'prev_hash', 'time', 'type', 'first_seq', 'last_seq', 'head_hash', 'envelope'];
  if (Object.keys(r).join(',') !== keys.join(',')) return 'checkpoint has unexpected fields';
  const first = r['first_seq'];
  const last = r['last_seq'];
  const head = r['head_hash'];
  if (typeof first !== 'number' || typeof last !== 'number' || !Number.isSafeInteger(first) || !Number.isSafeInteger(last) || first > last || typeof head !== 'string')
    return 'checkpoint range is malformed';
  if (JSON.stringify(r) !== line) return 'checkpoint is not in its canonical form';
  if (signedThrough > 0 && first !== signedThrough + 1) return `checkpoint starts at seq ${first}, the previous one ended at ${signedThrough}`;
  if (last >= (r['seq'] as number)) return 'checkpoint covers records after itself';
  const want = hashes.get(last);
  if (want === undefined) return `checkpoint covers seq ${last}, which is not in the files given`;
  if (want !== head) return `checkpoint head_hash does not match record ${last}`;
  const env = r['envelope'] as { [k: string]: unknown } | null;
  if (env === null || typeof env !== 'object' || Object.keys(env).join(',') !== 'payloadType,payload,signatures') return 'checkpoint envelope is malformed';
  if (env['payloadType'] !== CHECKPOINT_PAYLOAD_TYPE) return 'checkpoint envelope has another payload type';
  const payload = typeof env['payload'] === 'string' ? decodeBase64Strict(env['payload']) : null;
  if (!payload) return 'checkpoint payload is not canonical base64';
  if (typeof r['time'] !== 'string') return 'checkpoint time is malformed';
  const expected = canonicalJson({ first_seq: first, head_hash: head, last_seq: last, log: LOG_FORMAT, time: r['time'] });
  if (new TextDecoder().decode(payload) !== expected) return 'checkpoint payload does not match its record';
  const sigs = env['signatures'];
  if (!Array.isArray(sigs) || sigs.length < 1 || sigs.length > 16) return 'checkpoint has no signatures';
  const message = pae(CHECKPOINT_PAYLOAD_TYPE, payload);
  let unpinned: string | null = null;
  for (const s of sigs as unknown[]) {
    if (s === null || typeof s !== 'object') return 'checkpoint signature is malformed';
    const keyid = (s as { keyid?: unknown }).keyid;
    const sigText = (s as { sig?: unknown }).sig;
    if (typeof keyid !== 'string' || typeof sigText !== 'string') return 'checkpoint signature is malformed';
    const key = trust.keys.get(keyid);
    if (!key || trust.revoked.has(keyid)) {
      unpinned ??= keyid;
      continue;
    }
    const sig = decodeBase64Strict(sigText);
    if (!sig || !verifySignature(key.algorithm, key.keyObject, message, sig)) return `checkpoint signature by pinned key \`${keyid.slice(0, 19)}…\` does not verify`;
    return { last, keyid };
  }
  return `checkpoint is signed only by a key that is not pinned (or revoked): \`${(unpinned ?? '').slice(0, 80)}\``;
}
