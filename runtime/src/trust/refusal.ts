/**
 * Why a pack was refused. Every refusal carries a stable code (documented in
 * `runtime/src/trust/README.md`) and a one-line, lowercase message that never
 * contains key material.
 */
export type RefusalCode =
  | 'container-magic'
  | 'container-version'
  | 'container-truncated'
  | 'container-envelope-size'
  | 'container-body-size'
  | 'container-trailing-bytes'
  | 'envelope-malformed'
  | 'envelope-payload-type'
  | 'manifest-malformed'
  | 'pack-name'
  | 'no-scope'
  | 'unsigned'
  | 'bad-signature'
  | 'threshold'
  | 'body-digest'
  | 'body-size'
  | 'not-yet-valid'
  | 'expired'
  | 'min-serial'
  | 'rollback'
  | 'serial-reuse'
  | 'trust-file'
  | 'state'
  | 'expected-name'
  | 'no-expected-name'
  | 'deployment';

/** A refusal to load a pack (exit code 3 at the CLI). */
export class PackRefusal extends Error {
  /** Exit code the CLIs use for every refusal (DESIGN §8). */
  readonly exitCode = 3;
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    // INVARIANT: messages are one line; a stray newline would break log parsers.
    super(message.replace(/[\r\n]+/g, ' '));
    this.name = 'PackRefusal';
  }
}
