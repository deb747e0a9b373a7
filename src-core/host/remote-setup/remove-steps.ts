/**
 * "Remove from server": stop and disable the unit, take back the firewall rules the setup added,
 * remove the unit file and the portal's folder, and forget the server here (its pinned host key
 * stays); then leave the bridge profile the setup made here (bridge-profile-here.ts). Where this
 * machine has no record of the server, the default places are used.
 */
import { leaveBridgeProfile, type BridgeProfileHost } from './bridge-profile-here.js';
import { removeCommands } from './firewall.js';
import type { KnownServers, ServerRecord } from './known-servers.js';
import type { Login } from './login.js';
import { installLayout, layoutOf, type InstallLayout } from './service-unit.js';
import { lastLine, shellQuote } from './shell.js';
import { StepFailed, type StepOutcome } from './step-runner.js';
import { parseProbe, PROBE_SCRIPT } from './system-check.js';

export interface RemoveContext {
  login: Login;
  known: KnownServers;
  host: BridgeProfileHost;
  record?: ServerRecord;
  layout?: InstallLayout;
}

/** Where the setup put things: from the record, else whichever default unit file exists. */
async function layoutFor(ctx: RemoveContext): Promise<InstallLayout> {
  if (ctx.layout) return ctx.layout;
  const session = await ctx.login.ensure();
  const probe = parseProbe((await session.exec(PROBE_SCRIPT)).stdout);
  const sudo = probe.rights === 'sudo';
  if (ctx.record) return (ctx.layout = layoutOf(ctx.record, probe.home, sudo));
  const user = installLayout('user', probe.home, sudo);
  const system = installLayout('system', probe.home, sudo);
  const userThere = await session.exec(`test -e ${shellQuote(user.unitFile)} || test -e ${shellQuote(user.folder)}`);
  return (ctx.layout = userThere.code === 0 || probe.rights === 'none' ? user : system);
}

export async function stopService(ctx: RemoveContext): Promise<StepOutcome> {
  const layout = await layoutFor(ctx);
  const session = await ctx.login.ensure();
  const unit = shellQuote(layout.unitName);
  const there = await session.exec(`test -e ${shellQuote(layout.unitFile)}`);
  if (there.code !== 0) return { state: 'skipped', detail: `no ${layout.unitFile} on the server` };
  const stop = await session.exec(`${layout.systemctl} disable --now ${unit}`);
  if (stop.code !== 0) throw new StepFailed(`systemd would not stop ${layout.unitName}: ${lastLine(stop.stderr) || `exit ${stop.code}`}`);
  const active = await session.exec(`${layout.systemctl} is-active ${unit}`);
  if (active.stdout.trim() === 'active') throw new StepFailed(`${layout.unitName} is still running after stop: check ${layout.journalctl} -u ${layout.unitName}`);
  return { detail: `${layout.unitName} stopped and disabled (${layout.scope === 'user' ? 'the account\'s own' : 'system-wide'})` };
}

export async function closeFirewall(ctx: RemoveContext): Promise<StepOutcome> {
  const firewall = ctx.record?.firewall;
  if (!firewall) return { state: 'skipped', detail: 'the setup added no firewall rule' };
  const session = await ctx.login.ensure();
  const sudo = firewall.sudo ? 'sudo -n ' : '';
  for (const command of removeCommands(firewall.tool, firewall.rules, sudo)) {
    const result = await session.exec(command);
    if (result.code !== 0) throw new StepFailed(`${firewall.tool} refused ${command}: ${lastLine(result.stderr) || `exit ${result.code}`}`, removeCommands(firewall.tool, firewall.rules, 'sudo '));
  }
  return { detail: `${firewall.tool}: removed ${firewall.rules.join(' and ')}` };
}

export async function removeFiles(ctx: RemoveContext): Promise<StepOutcome> {
  const layout = await layoutFor(ctx);
  const session = await ctx.login.ensure();
  const remove = await session.exec(`${layout.sudo}rm -f ${shellQuote(layout.unitFile)} && ${layout.sudo}rm -rf ${shellQuote(layout.folder)} && ${layout.systemctl} daemon-reload`);
  if (remove.code !== 0) throw new StepFailed(`cannot remove ${layout.folder} or ${layout.unitFile}: ${lastLine(remove.stderr) || `exit ${remove.code}`}`);
  await ctx.known.forget(ctx.login.target.host, ctx.login.target.port, ctx.login.target.user);
  const here = await leaveBridgeProfile(ctx.host, ctx.record);
  return { detail: `removed ${layout.unitFile} and ${layout.folder}; the server's host key stays pinned here; ${here}` };
}
