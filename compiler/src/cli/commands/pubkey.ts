import type { Command } from 'commander';
import { CliError, EXIT, formatOption } from '@fms/runtime/cli-kit';
import { kmsSigner, localEd25519Signer, trustEntryFor, type Signer } from '../../sign/index';
import { printPublicKey } from './keygen';

/** Opens the signer named by `--kms` or `--key` (exactly one), mapping failures to exit 2. */
export async function openSigner(o: { kms?: string; key?: string }): Promise<Signer> {
  if (!!o.kms === !!o.key) throw new CliError('give exactly one of `--kms URI` or `--key FILE`', EXIT.usage);
  try {
    return o.kms ? await kmsSigner(o.kms) : localEd25519Signer(o.key as string);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
}

/** Registers `fmsc pubkey --kms URI | --key FILE`: public key, key id and a trust entry. */
export function register(program: Command): void {
  program
    .command('pubkey')
    .description('print the public key, key id and trust entry of a kms/hsm key or key file')
    .option('--kms <uri>', 'pkcs11:…, awskms://…, gcpkms://…, azurekms://…, hashivault://…, file:…')
    .option('--key <file>', 'a local key file from `fmsc keygen`')
    .option('--comment <text>', 'comment for the trust entry')
    .addOption(formatOption())
    .action(async (o: { kms?: string; key?: string; comment?: string; format: string }) => {
      const s = await openSigner(o);
      try {
        printPublicKey({ keyId: s.keyId, trustEntry: trustEntryFor(s, o.comment) }, o.format, { source: s.description });
      } finally {
        await s.close?.();
      }
    });
}
