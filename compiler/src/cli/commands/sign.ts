import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION, readInput } from '@fms/runtime/cli-kit';
import { PackRefusal } from '@fms/runtime';
import { writeFileAtomic } from '@fms/runtime/write-file-atomic';
import { addSignature } from '../../sign/create-pack';
import { openSigner } from './pubkey';

/**
 * Registers `fmsc sign --kms URI PACK`: appends a signature made by a key
 * that never leaves its store (or `--key FILE`), rewriting the pack
 * atomically (or writing `--out`).
 */
export function register(program: Command): void {
  program
    .command('sign')
    .description('add a signature to a pack with a kms/hsm key (or a key file)')
    .argument('<pack>', 'the .fmspack file')
    .option('--kms <uri>', 'pkcs11:…, awskms://…, gcpkms://…, azurekms://…, hashivault://…, file:…')
    .option('--key <file>', 'a local key file from `fmsc keygen`')
    .option('--out <file>', 'write the signed pack here instead of replacing <pack>')
    .addOption(formatOption())
    .action(async (pack: string, o: { kms?: string; key?: string; out?: string; format: string }) => {
      let bytes: Uint8Array;
      bytes = readInput(pack);
      const signer = await openSigner(o);
      let signed: Uint8Array;
      try {
        signed = await addSignature(bytes, signer);
      } catch (e) {
        if (e instanceof PackRefusal) throw new CliError(`refused \`${pack}\`: ${e.message} [${e.code}]`, EXIT.refused);
        throw new CliError((e as Error).message, EXIT.usage);
      } finally {
        await signer.close?.();
      }
      const out = o.out ?? pack;
      try {
        writeFileAtomic(out, signed);
      } catch (e) {
        throw new CliError(`cannot write \`${out}\`: ${(e as NodeJS.ErrnoException).code ?? 'error'}`, EXIT.usage);
      }
      if (o.format === 'json')
        process.stdout.write(JSON.stringify({ version: JSON_VERSION, pack: out, key_id: signer.keyId, algorithm: signer.algorithm, source: signer.description }) + '\n');
      else process.stderr.write(`added signature by ${signer.keyId} (${signer.algorithm}, ${signer.description}) to \`${out}\`\n`);
    });
}
