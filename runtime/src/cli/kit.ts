/**
 * `@fms/runtime/cli-kit`: the pieces of `fms-run` that `fmsc` reuses so that
 * both CLIs behave the same (DESIGN §8): exit codes, the one-line error,
 * `--format`, commander's usage errors mapped to exit 2, `verify`, and the
 * call options and trace rendering of `eval`/`explain`.
 *
 * Not part of the embedding API: it imports `commander` (an optional peer
 * dependency of `@fms/runtime`; the library entry `@fms/runtime` never does).
 */
export { EXIT, CliError, formatOption, runProgram, versionLine, JSON_VERSION, EXIT_CODES_HELP, ioErrorMessage, readFdSync, readInput, readInputText, jsonError } from './common';
export { runVerify, nameFlags, nameOptions } from './commands/verify';
export { renderExplanation } from './commands/explain';
export { callOptions, callFromOpts, clockFromOpts, type CallOpts } from './commands/eval';
/**
 * For `fmsc verify` (release provenance): verify a pack file the way every
 * CLI does (flags, `FMS_TRUST`, `FMS_PACK_NAME`, `FMS_DEPLOYMENT`), the
 * one-line refusal text, and the scope that governs a pack name, so it can
 * report each signature against the pinned keys without a second verifier.
 */
export { verifyPackFile, TrustUsageError } from '../trust/load-pack-file';
export { refusalMessage, verifyReportFields } from './commands/verify';
export { scopeFor } from '../trust/trust-roots';
