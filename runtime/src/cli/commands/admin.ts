import type { Command } from 'commander';
import { CliError, EXIT, formatOption } from '../common';
import { adminRequest } from '../../daemon/client';

interface AdminOpts {
  adminSocket?: string;
  socket?: string;
  tenant?: string;
  format: string;
}

/** The admin socket: `--admin-socket`, else `--socket` + `.admin`, else `$FMS_SOCKET.admin`. */
function adminPath(o: AdminOpts): string {
  if (o.adminSocket) return o.adminSocket;
  const s = o.socket ?? process.env.FMS_SOCKET;
  if (!s) throw new CliError('no admin socket: pass `--admin-socket PATH` (or `--socket PATH` of the server)', EXIT.usage);
  return `${s}.admin`;
}

async function ask(o: AdminOpts, req: { op: string; id?: string }): Promise<{ ok: boolean; error?: string; [k: string]: unknown }> {
  try {
    return await adminRequest(adminPath(o), o.tenant !== undefined ? { ...req, tenant: o.tenant } : req);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
}

function adminFlags(c: Command): Command {
  return c
    .option('--admin-socket <path>', 'the admin socket of `fms-run serve`')
    .option('--socket <path>', 'the decision socket of the server (its admin socket is PATH.admin)')
    .option('--tenant <name>', 'the tenant (a server started with --tenant; reload without it reloads every tenant)')
    .addOption(formatOption());
}

/** Registers `fms-run reload` and `fms-run approvals list|approve|deny`. */
export function register(program: Command): void {
  adminFlags(program.command('reload').description('make a running `fms-run serve` verify and load its pack again (exit 3 when refused; the old pack keeps serving)')).action(async (o: AdminOpts) => {
    const r = await ask(o, { op: 'reload' });
    if (o.format === 'json') process.stdout.write(JSON.stringify(r) + '\n');
    if (!r.ok) throw new CliError(r.error ?? 'reload refused', EXIT.refused);
    const p = r['pack'] as { name: string; serial: number; digest: string } | undefined;
    if (o.format !== 'json') process.stdout.write(p ? `ok: serving pack \`${p.name}\` serial ${p.serial} ${p.digest}\n` : `ok: every tenant reloaded\n`);
  });
  const ap = program.command('approvals').description('list, approve or deny deferred calls of a running `fms-run serve` (over its admin socket)');
  adminFlags(ap.command('list').description('list approvals that are pending or answered and not yet used')).action(async (o: AdminOpts) => {
    const r = await ask(o, { op: 'list' });
    if (!r.ok) throw new CliError(r.error ?? 'failed', EXIT.usage);
    const list = r['approvals'] as Array<{ id: string; status: string; agent: string; tool: string; session: string; rule_ref: string | null; expires_ms: number }>;
    if (o.format === 'json') {
      process.stdout.write(JSON.stringify(list) + '\n');
      return;
    }
    if (list.length === 0) process.stdout.write('no approvals\n');
    for (const a of list) process.stdout.write(`${a.id}  ${a.status}  ${a.agent}  ${a.tool}  session=${JSON.stringify(a.session)}  ${a.rule_ref ?? '-'}  expires ${new Date(a.expires_ms).toISOString()}\n`);
  });
  for (const op of ['approve', 'deny'] as const) {
    adminFlags(ap.command(op).argument('<id>', 'approval id').description(op === 'approve' ? 'approve a deferred call: its retry with the approval id is permitted once, within the TTL' : 'deny a deferred call: its retry is denied')).action(
      async (id: string, o: AdminOpts) => {
        const r = await ask(o, { op, id });
        if (o.format === 'json') process.stdout.write(JSON.stringify(r) + '\n');
        if (!r.ok) throw new CliError(r.error ?? 'failed', EXIT.usage);
        if (o.format !== 'json') process.stdout.write(`ok: ${id} ${op === 'approve' ? 'approved' : 'denied'}\n`);
      },
    );
  }
}
