// CRC32C (Castagnoli), which Google Cloud KMS uses for request/response integrity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { crc32c } from '../../signers/src/crc32c';

test('crc32c known answers (RFC 3720 check value, empty input, 32 zero bytes)', () => {
  assert.is(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  assert.is(crc32c(new Uint8Array(0)), 0);
  assert.is(crc32c(new Uint8Array(32)), 0x8a9136aa);
});

test.run();
