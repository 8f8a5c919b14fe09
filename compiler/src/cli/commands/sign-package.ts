import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION, readInput } from '@fms/runtime/cli-kit';
import { encodeBase64 } from '@fms/runtime/crypto';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { MAX_PACKAGE_FILE_BYTES, packageSignatureFileText, signPackageStatement, splitPackageRef } from '../../sign/package-statement';
import { openSigner } from './pubkey';

/**
 * Registers `fmsc sign-package FILE --ref host/path@1.2.3 (--key KEY.pem | --kms URI) [-o OUT]`:
 * signs the statement "this content is host/path at 1.2.3" and writes the
 * registry signature file (default `FILE.sig`).
 */
export function register(program: Command): void {
  program
    .command('sign-package')
    .description('sign a package for a registry: a DSSE statement naming its ref, version and sha256 (writes FILE.sig)')
    .argument('<file>', 'the package source, e.g. registry/example.com/acme/pay@1.2.3.fms')
    .requiredOption('--ref <host/path@version>', 'the exact ref stacks import it by, e.g. example.com/acme/pay@1.2.3')
    .option('--key <file>', 'an Ed25519 key file from `fmsc keygen`')
    .option('--kms <uri>', 'an Ed25519 key in a kms/hsm (pkcs11:…, file:…)')
    .option('-o, --output <file>', 'signature file to write (default: <file>.sig)')
    .addOption(formatOption())
    .action(async (file: string, o: { ref: string; key?: string; kms?: string; output?: string; format: string }) => {
      let ref: { ref: string; version: string };
      try {
        ref = splitPackageRef(o.ref);
      } catch (e) {
        throw new CliError(`--ref: ${(e as Error).message}`, EXIT.usage);
      }
      let bytes: Uint8Array;
      bytes = readInput(file);
      if (bytes.length > MAX_PACKAGE_FILE_BYTES) throw new CliError(`\`${file}\` is larger than ${MAX_PACKAGE_FILE_BYTES} bytes`, EXIT.usage);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const signer = await openSigner(o);
      let envelope: Uint8Array;
      try {
        envelope = await signPackageStatement({ ...ref, sha256 }, signer);
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.usage);
      } finally {
        await signer.close?.();
      }
      const out = o.output ?? file + '.sig';
      try {
        writeFileAtomic(out, packageSignatureFileText(envelope), { mode: 0o644 });
      } catch (e) {
        throw new CliError(`cannot write \`${out}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.usage);
      }
      const trustLine = `key "${ref.ref.split('/')[0]}" ed25519:${encodeBase64(signer.publicKeySpki.subarray(12))}`;
      if (o.format === 'json')
        process.stdout.write(JSON.stringify({ version: JSON_VERSION, signature: out, ref: ref.ref, package_version: ref.version, sha256, key_id: signer.keyId, trust_line: trustLine }) + '\n');
      else {
        process.stderr.write(`fmsc: wrote ${out}: ${ref.ref}@${ref.version} sha256 ${sha256.slice(0, 16)}…, signed by ${signer.keyId.slice(0, 23)}…\n`);
        process.stderr.write(`fmsc: stacks pin this key with: trust { ${trustLine} }\n`);
      }
    });
}
