// Copied to dist/fms-boot.mjs by bundle.mjs. Loads a CLI bundle of dist/
// (`fmsc.cjs`, `fms-run.cjs`) with V8's code cache: `<bundle>.cache` holds the
// bytecode V8 compiled for it during the build's warm-up (code-cache.mjs), so a
// fresh process neither parses nor compiles the functions the warm-up ran.
//
// The cache is code. It lives next to the bundle, is written only by
// `npm run build` and never by the CLIs at run time (whoever can write it can
// already write the bundle). It is used only when its header names this Node
// version and architecture, the length and CRC-32 of the bundle's bytes (V8
// would run stale bytecode for an edited bundle of the same length) and those
// of the cache data (V8 does not checksum it); V8 itself refuses a cache made
// by another V8 or under other V8 flags. When any check fails, or FMS_NO_CODE_CACHE=1, the
// bundle is compiled from its source: the same program, a slower start.
// The bundles contain no `import()` (bundle.mjs turns it into `require()`): a
// function V8 restores from a cache has no dynamic-import hook.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';

/**
 * The first line of `<bundle>.cache` for a bundle with bytes `source` and V8
 * cache data `data`. V8 checks only the source's length and no checksum of its
 * data (a bit flipped on disk could crash the CLI or change what it runs), so
 * both are checked here.
 */
export function cacheHeader(source, data) {
  return `fms-code-cache/1 node=${process.version} arch=${process.arch} length=${source.length} crc32=${crc32(source)} data-length=${data.length} data-crc32=${crc32(data)}\n`;
}

/**
 * Compiles and runs the CommonJS bundle `file` (an absolute path); returns its
 * exports, the compiled script and the bundle's bytes (the warm-up makes the
 * cache from both) and whether the cache was used. `noCache`: compile from
 * source (the warm-up does).
 */
export function loadBundle(file, noCache = process.env.FMS_NO_CODE_CACHE === '1') {
  const source = readFileSync(file);
  let cachedData;
  if (!noCache) {
    let cache;
    try {
      cache = readFileSync(file + '.cache');
    } catch {
      cache = undefined;
    }
    const nl = cache === undefined ? -1 : cache.indexOf(10);
    if (nl > 0) {
      const data = cache.subarray(nl + 1);
      if (cache.toString('latin1', 0, nl + 1) === cacheHeader(source, data)) cachedData = data;
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname, __fmsBundleUrl) {${source.toString('utf8')}\n})`, {
    filename: file,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), pathToFileURL(file).href);
  return { exports: module.exports, script, source, cacheUsed: cachedData !== undefined && !script.cachedDataRejected };
}
