/**
 * `porthole invite` (portal side: add, list and revoke bridge users, print the link and a QR
 * code) and `porthole join` (bridge side: an invite or share link made into a bridge config).
 * The portal's config file is edited in place, keeping its comments; the running portal sees
 * the change on its next reload (SIGHUP).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command, Option } from 'commander';
import { loadConfig } from '../../engine/config/index.js';
import { encodeInvite } from '../api/invites/invite-link.js';
import { bridgeProfileFromLink, linkKind } from '../api/invites/profile-from-link.js';
import { qrLines } from '../invites/invite-qr.js';
import { addUserText, inviteFor, newInviteUser, portalLinkTarget, portalUsers, removeUserText } from '../invites/portal-users.js';
import { replaceFile } from '../invites/replace-file.js';

interface Output {
  out(line: string): void;
  err(line: string): void;
}

interface InviteOptions {
  config: string[];
  name?: string;
  inbound?: string;
  address?: string;
  list?: boolean;
  revoke?: string;
  qr: boolean;
}

interface JoinOptions {
  output?: string;
  domain?: string;
  redirect?: string;
}

const RELOAD_HINT = 'Reload the portal for this to take effect: kill -HUP <pid of porthole run> (or systemctl reload porthole).';

async function invite(options: InviteOptions, output: Output, usage: (message: string) => Error): Promise<void> {
  if (options.config.length !== 1) throw usage('invite: pass exactly one -c FILE, the portal config to edit');
  const file = options.config[0]!;
  const modes = [options.list, options.revoke !== undefined, options.name !== undefined].filter(Boolean).length;
  if (modes > 1) throw usage('invite: --name, --list and --revoke go alone');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw usage(`invite: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const target = portalLinkTarget(loadConfig([{ name: file, text }]), options.inbound);
  const tag = target.inbound.tag;

  if (options.list) {
    const users = portalUsers(target);
    output.out(`Users of inbound "${tag}" (${target.inbound.protocol}, portal "${target.portal.tag}"):`);
    for (const user of users) output.out(`  ${(user.name ?? '(no name)').padEnd(24)} ${user.id}`);
    return;
  }
  if (options.revoke !== undefined) {
    const { text: next, removed } = removeUserText(file, text, tag, options.revoke);
    replaceFile(file, next);
    output.out(`Revoked "${removed.name ?? removed.id}" (${removed.id}) from inbound "${tag}" in ${file}.`);
    output.out(RELOAD_HINT);
    return;
  }
  let user: { id: string; name: string };
  try {
    user = newInviteUser(target, options.name);
  } catch (error) {
    throw usage((error as Error).message);
  }
  const { id, name } = user;
  const link = encodeInvite(inviteFor(target, { id, name }, options.address ? { address: options.address } : {}));
  const next = addUserText(file, text, tag, { id, name });
  replaceFile(file, next);
  output.out(`Invited "${name}" (${id}) to inbound "${tag}" in ${file}.`);
  output.out(RELOAD_HINT);
  output.out('Give them this link (paste it in Porthole: Profiles → Join with an invite link, or run porthole join LINK):');
  output.out(link);
  if (options.qr) output.out(await qrLines(link));
}

function join(link: string, options: JoinOptions, output: Output, usage: (message: string) => Error): void {
  const kind = linkKind(link);
  if (kind === 'unknown') throw usage('join: expected a porthole://, vmess:// or vless:// link');
  if (kind === 'invite' && options.domain) throw usage('join: an invite link carries its domain; --domain is for vmess:// and vless:// links');
  if (kind === 'share' && !options.domain) throw usage('join: a share link has no reverse domain: pass --domain (the portal\'s reverse.portals[].domain)');
  const { text } = bridgeProfileFromLink(link, options);
  loadConfig([{ name: 'bridge.json', text }]); // it must load here before it is handed out
  if (options.output) {
    try {
      writeFileSync(options.output, text, { flag: 'wx', mode: 0o600 });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw usage(code === 'EEXIST' ? `join: ${options.output} already exists; pick a new file name` : `join: cannot write ${options.output}: ${code}`);
    }
    output.out(`Wrote the bridge config to ${options.output}; start it with: porthole run -c ${options.output}`);
  } else {
    output.out(text.trimEnd());
  }
}

/** Adds `invite` and `join` to the CLI; `configOption` is the shared `-c FILE` option. */
export function registerInviteCommands(program: Command, output: Output, configOption: () => Option, usage: (message: string) => Error): void {
  program.command('invite')
    .description('portal: add a bridge user to the portal config and print its porthole:// link and QR code; --list, --revoke')
    .addOption(configOption())
    .option('--name <name>', 'who the invite is for (the user\'s email on the inbound); default invite-<id>')
    .option('--inbound <tag>', 'the VMess/VLESS inbound bridges dial, when the config has several')
    .option('--address <host>', 'the host bridges dial (default: the portal\'s exposures.publicHost)')
    .option('--list', 'list the inbound\'s users')
    .option('--revoke <name|id>', 'remove that user: its bridge is refused after the portal reloads')
    .option('--no-qr', 'print the link without the QR code')
    .action((options: InviteOptions) => invite(options, output, usage));

  program.command('join')
    .description('bridge: make a bridge config from a porthole:// invite link, or a vmess:// / vless:// share link (with --domain)')
    .argument('<link>', 'the link (quote it in the shell)')
    .option('-o, --output <file>', 'write the config to a new file instead of printing it')
    .option('--domain <domain>', 'share links only: the portal\'s reverse domain')
    .option('--redirect <host:port>', 'send every connection to this local service (default: where the portal asks)')
    .action((link: string, options: JoinOptions) => join(link, options, output, usage));
}
