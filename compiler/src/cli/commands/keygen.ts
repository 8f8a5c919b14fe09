import type { Command } from 'commander';
import { CliError, EXIT, formatOption, JSON_VERSION } from '@fms/runtime/cli-kit';
import { generateKeyFile, type TrustKeyEntry } from '../../sign/local-key';
import { readPassphrase } from '../../sign/passphrase';

/** Prints a public key, its id and a trust entry; shared by keygen and pubkey. */
export function printPublicKey(
  out: { keyId: string; trustEntry: TrustKeyEntry },
  format: string,
  extra: Record<string, string | boolean> = {},
): void {
  if (format === 'json') {
    process.stdout.write(
      JSON.stringify({ version: JSON_VERSION, ...extra, key_id: out.keyId, algorithm: out.trustEntry.algorithm, public_key: out.trustEntry.public_key, trust_entry: out.trustEntry }) + '\n',
    );
    return;
  }
  for (const [k, v] of Object.entries(extra)) process.stdout.write(`${k.replace(/_/g, ' ')}: ${v}\n`);
  process.stdout.write(
    `key id: ${out.keyId}\nalgorithm: ${out.trustEntry.algorithm}\npublic key (der spki, base64): ${out.trustEntry.public_key}\n` +
      `trust entry (add to \`keys\` and to a scope's \`keys\` in your trust file):\n${JSON.stringify(out.trustEntry, null, 2)}\n`,
  );
}

/**
 * Registers `fmsc keygen KEYFILE`: a new Ed25519 key (file mode 0600), public
 * key and trust entry on stdout. `--passphrase` encrypts the key file
 * (passphrase from `FMS_KEY_PASSWORD`, else asked twice on the terminal).
 */
export function register(program: Command): void {
  program
    .command('keygen')
    .description('create an ed25519 signing key file (mode 0600) and print its public key and trust entry')
    .argument('<keyfile>', 'where to write the private key (pkcs#8 pem)')
    .option('--force', 'replace an existing key file')
    .option('--comment <text>', 'comment for the trust entry')
    .option('--passphrase', 'encrypt the key file (pkcs#8, aes-256-cbc); the passphrase comes from $FMS_KEY_PASSWORD, else it is asked on the terminal')
    .addOption(formatOption())
    .action((keyfile: string, o: { force?: boolean; comment?: string; passphrase?: boolean; format: string }) => {
      let g;
      try {
        const passphrase = o.passphrase ? readPassphrase(`the new key \`${keyfile}\``, { confirm: true }) : undefined;
        g = generateKeyFile(keyfile, { ...(o.force ? { force: true } : {}), ...(o.comment ? { comment: o.comment } : {}), ...(passphrase !== undefined ? { passphrase } : {}) });
      } catch (e) {
        throw new CliError((e as Error).message, EXIT.usage);
      }
      printPublicKey(g, o.format, { private_key_file: keyfile, ...(o.passphrase ? { encrypted: true } : {}) });
    });
}
