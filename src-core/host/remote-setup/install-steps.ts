/**
 * The setup's steps after login: check the system, upload the portal, write its config, install
 * and start the unit, open the firewall, and activate the matching bridge profile here. Each
 * returns what it found or did, or throws `StepFailed` with the one line to show.
 */
import type { RemoteSetup } from '../api/index.js';
import { addCommands, detectScript, manualSteps, rulesOf, type FirewallTool } from './firewall.js';
import type { Login } from './login.js';
import type { KnownServers, ServerRecord } from './known-servers.js';
import { profileDigest } from './bridge-profile-here.js';
import { bridgeProfileFor, portalConfigFor, selfSignedPem, type PortalPlan } from './portal-config.js';
import { locatePortalBinary } from './portal-binary.js';
import type { RemoteSetupHost } from './remote-setup-service.js';
import { installLayout, portalUnit, writeFileCommand, type InstallLayout } from './service-unit.js';
import { lastLine, shellQuote } from './shell.js';
import { StepFailed, type StepOutcome, type StepReport } from './step-runner.js';
import { judgeSystem, parseProbe, PROBE_SCRIPT, type SystemFacts } from './system-check.js';
import type { SshSession, ExecResult } from './ssh-session.js';

const MiB = 1024 * 1024;
/** How long the portal may take to listen after `restart`, and the link and exposures to come up here. */
const START_WAIT_S = 15;
/** Let's Encrypt usually issues within 5–20 s; its validation retries make a minute and more possible. */
const CERTIFICATE_WAIT_S = 120;
const LINK_WAIT_MS = 20_000;
const EXPOSURE_WAIT_MS = 15_000;

export interface InstallContext {
  run: RemoteSetup;
  plan: PortalPlan;
  login: Login;
  known: KnownServers;
  host: RemoteSetupHost;
  facts?: SystemFacts;
  layout?: InstallLayout;
  firewall?: ServerRecord['firewall'];
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new StepFailed(`${what} is not known yet: retry from the start`);
  return value;
}

async function run(session: SshSession, command: string, failure: string, timeoutMs?: number): Promise<ExecResult> {
  const result = await session.exec(command, timeoutMs ? { timeoutMs } : {});
  if (result.code !== 0) throw new StepFailed(`${failure}: ${lastLine(result.stderr) || lastLine(result.stdout) || `exit ${result.code}`}`);
  return result;
}

export async function checkSystem(ctx: InstallContext): Promise<StepOutcome> {
  const session = await ctx.login.ensure();
  const probe = await run(session, PROBE_SCRIPT, 'the system check script failed');
  const verdict = judgeSystem(parseProbe(probe.stdout), portsOf(ctx.plan));
  if ('reason' in verdict) throw new StepFailed(verdict.reason);
  ctx.facts = verdict.facts;
  ctx.layout = installLayout(verdict.facts.scope, verdict.facts.home, verdict.facts.sudo);
  const service = verdict.facts.scope === 'user' ? `${verdict.facts.userName}'s own systemd service (no root or sudo)` : `a system-wide service${verdict.facts.sudo ? ' (through sudo)' : ''}`;
  const singles = ctx.plan.acme ? `${ctx.plan.linkPort}, ${ctx.plan.acme.httpPort}` : `${ctx.plan.linkPort}`;
  return { detail: `${verdict.facts.os}; ${service}; ports ${singles} and ${ctx.plan.range[0]}-${ctx.plan.range[1]} free` };
}

/**
 * gzip roughly halves the bytes (109 → 44 MiB) for ~2 s of CPU on each side: worth it on any real
 * link, a loss on loopback. `PORTHOLE_SSH_GZIP=1|0` overrides (tests use it to cover both paths).
 */
export function compressUpload(host: string, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.PORTHOLE_SSH_GZIP === '1') return true;
  if (env.PORTHOLE_SSH_GZIP === '0') return false;
  return !(host === 'localhost' || host === '::1' || /^127\./.test(host));
}

export async function upload(ctx: InstallContext, report: (detail: string) => void = () => {}): Promise<StepOutcome> {
  const session = await ctx.login.ensure();
  const facts = need(ctx.facts, 'the server\'s architecture');
  const layout = need(ctx.layout, 'where the files go');
  const binary = await locatePortalBinary(facts.arch);
  if ('reason' in binary) throw new StepFailed(binary.reason);
  const target = shellQuote(layout.binary);
  const there = await session.exec(`${layout.sudo}sha256sum ${target} 2>/dev/null`);
  if (there.code === 0 && there.stdout.split(/\s/)[0] === binary.sha256) {
    return { state: 'skipped', detail: `the same portal is already there (${layout.binary}, sha256 ${binary.sha256.slice(0, 12)}…)` };
  }
  const gzip = facts.tools.has('gzip') && compressUpload(ctx.plan.host);
  const temp = shellQuote(`${layout.binary}.tmp`);
  const receive = `${layout.sudo}mkdir -p ${shellQuote(layout.folder)} && ${layout.sudo}sh -c ${shellQuote(`${gzip ? 'gzip -dc' : 'cat'} > ${temp} && chmod 755 ${temp} && sha256sum ${temp}`)}`;
  const started = Date.now();
  const total = (binary.size / MiB).toFixed(0);
  const result = await session.upload(binary.file, receive, {
    gzip,
    onProgress: (sent) => report(`${(sent / MiB).toFixed(0)} of ${total} MiB sent${gzip ? ' (gzip\'d on the way)' : ''}…`),
  });
  const seconds = (Date.now() - started) / 1000;
  if (result.code !== 0) throw new StepFailed(`cannot write ${layout.folder} on the server: ${lastLine(result.stderr) || `exit ${result.code}`}${/denied|read-only/i.test(result.stderr) ? ` (the account needs write access there)` : ''}`);
  if (result.stdout.split(/\s/)[0] !== binary.sha256) {
    await session.exec(`${layout.sudo}rm -f ${temp}`);
    throw new StepFailed('the portal arrived damaged (its SHA-256 differs from this machine\'s copy): retry');
  }
  await run(session, `${layout.sudo}mv -f ${temp} ${target}`, `cannot put the portal at ${layout.binary}`);
  return { detail: `${(binary.size / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s${gzip ? ' (gzip\'d)' : ''} to ${layout.binary}, SHA-256 checked` };
}

/** The ports the portal takes: the link's, the exposure range, and the CA's HTTP-01 port with ACME. */
function portsOf(plan: PortalPlan): { linkPort: number; range: [number, number]; challengePort: number | undefined } {
  return { linkPort: plan.linkPort, range: plan.range, challengePort: plan.acme?.httpPort };
}

/** Where the portal keeps its ACME account and certificates (inside its folder: removal takes them). */
function acmeStorageOf(layout: InstallLayout): string {
  return `${layout.folder}/acme`;
}

export async function writeConfig(ctx: InstallContext): Promise<StepOutcome> {
  const session = await ctx.login.ensure();
  const layout = need(ctx.layout, 'where the files go');
  const { plan } = ctx;
  for (const file of [plan.certificateFile, plan.keyFile, plan.acme?.caFile]) {
    if (!file) continue;
    const readable = await session.exec(`${layout.sudo}test -r ${shellQuote(file)}`);
    const what = file === plan.acme?.caFile ? 'the ACME CA\'s root' : 'the TLS certificate and key';
    if (readable.code !== 0) throw new StepFailed(`${file} is not on the server or cannot be read${layout.sudo ? ' with sudo' : ` by ${ctx.facts?.userName ?? 'this account'}`}: put ${what} there first`);
  }
  let text: string;
  try {
    text = portalConfigFor(plan, acmeStorageOf(layout));
  } catch (error) {
    throw new StepFailed(`the portal config could not be made: ${(error as Error).message}`);
  }
  const write = await session.exec(writeFileCommand(layout, layout.config, '600'), { stdin: text });
  if (write.code !== 0) throw new StepFailed(`cannot write ${layout.config}: ${lastLine(write.stderr) || `exit ${write.code}`}`);
  // Made now: a system unit may write only folders that exist when it starts (ReadWritePaths).
  if (plan.acme) await run(session, `${layout.sudo}mkdir -p -m 700 ${shellQuote(acmeStorageOf(layout))}`, `cannot make ${acmeStorageOf(layout)}`);
  // The portal's own check: the config is read exactly as the service will read it.
  const check = await session.exec(`${layout.sudo}${shellQuote(layout.binary)} test -c ${shellQuote(layout.config)}`);
  if (check.code !== 0) throw new StepFailed(`the portal refuses its config: ${lastLine(check.stderr) || lastLine(check.stdout)}`);
  const over = { tcp: 'VMess over TCP', tls: `VMess over TLS (${plan.domain})`, 'ws-tls': `VMess over WebSocket + TLS (${plan.domain}${plan.path})` }[plan.transport];
  const certificate = plan.acme ? `, its certificate from ${caHostOf(plan)}` : '';
  return { detail: `${layout.config} (mode 600): ${over} on port ${plan.linkPort}${certificate}, a fresh user id, exposures ${plan.range[0]}-${plan.range[1]}` };
}

export async function installService(ctx: InstallContext): Promise<StepOutcome> {
  const session = await ctx.login.ensure();
  const layout = need(ctx.layout, 'where the files go');
  const write = await session.exec(writeFileCommand(layout, layout.unitFile, '644'), { stdin: portalUnit(layout, ctx.plan.acme ? [acmeStorageOf(layout)] : []) });
  if (write.code !== 0) throw new StepFailed(`cannot write the unit ${layout.unitFile}: ${lastLine(write.stderr) || `exit ${write.code}`}`);
  await run(session, `${layout.systemctl} daemon-reload`, 'systemd would not reload its units');
  if (layout.scope === 'system') return { detail: `${layout.unitFile} (system-wide)` };
  // Without lingering, a user's services stop at logout (and do not start at boot).
  const linger = await session.exec('loginctl enable-linger "$(id -un)"');
  return { detail: `${layout.unitFile} (${ctx.facts?.userName}'s own)${linger.code === 0 ? ', lingering on so it runs without a login' : `; lingering could not be turned on (${lastLine(linger.stderr)}), so it stops at logout: ask root for loginctl enable-linger ${ctx.facts?.userName}`}` };
}

export async function openFirewall(ctx: InstallContext): Promise<StepOutcome> {
  const session = await ctx.login.ensure();
  const facts = need(ctx.facts, 'the account\'s rights');
  const ports = portsOf(ctx.plan);
  const present: FirewallTool[] = [...(facts.tools.has('ufw') ? ['ufw' as const] : []), ...(facts.tools.has('firewall-cmd') ? ['firewalld' as const] : [])];
  if (present.length === 0) return { state: 'skipped', detail: 'no ufw or firewalld on the server', manual: manualSteps(ports, []) };
  const mayChange = facts.scope === 'system';
  if (!mayChange) return { state: 'skipped', detail: `${present.join(' and ')} present, but ${facts.userName} may not change it (no root or sudo): run these as root`, manual: manualSteps(ports, present) };
  const sudo = facts.sudo ? 'sudo -n ' : '';
  const detected = await session.exec(detectScript(sudo));
  const active = detected.stdout.split('\n').map((line) => line.trim()).filter((line): line is FirewallTool => line === 'ufw' || line === 'firewalld');
  const tool = active[0];
  if (!tool) return { state: 'skipped', detail: `${present.join(' and ')} installed but not active: nothing to open there`, manual: manualSteps(ports, []) };
  for (const command of addCommands(tool, ports, sudo)) await run(session, command, `${tool} refused ${command}`);
  ctx.firewall = { tool, sudo: facts.sudo, rules: rulesOf(tool, ports) };
  return { detail: `${tool}: allowed ${ctx.firewall.rules.join(' and ')}` };
}

/** A script that waits (bounded) until something listens on TCP `port`; exit 1 if nothing does. */
function waitListening(port: number, seconds: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  return [
    `i=0; while [ $i -lt ${seconds * 5} ]; do`,
    `  if command -v ss >/dev/null 2>&1; then ss -Hltn "sport = :${port}" 2>/dev/null | grep -q LISTEN && exit 0;`,
    `  else cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":${hex} [0-9A-F:]* 0A" && exit 0; fi`,
    '  sleep 0.2; i=$((i + 1));',
    'done; exit 1',
  ].join('\n');
}

/** A script that waits (bounded) until `file` exists and is not empty; exit 1 if it does not. */
function waitForFile(file: string, seconds: number, sudo: string): string {
  return `i=0; while [ $i -lt ${seconds} ]; do ${sudo}test -s ${shellQuote(file)} && exit 0; sleep 1; i=$((i + 1)); done; exit 1`;
}

function caHostOf(plan: PortalPlan): string {
  return plan.acme?.directory ? new URL(plan.acme.directory).host : 'Let\'s Encrypt';
}

/**
 * With ACME: waits until the portal has stored its certificate (the bridge could not link
 * before), or says why not with the portal's own last line about it.
 */
async function awaitCertificate(ctx: InstallContext, session: SshSession, layout: InstallLayout, report: StepReport): Promise<string> {
  const { plan } = ctx;
  if (!plan.acme || !plan.domain) return '';
  report(`listening on port ${plan.linkPort}; waiting for the certificate for ${plan.domain} from ${caHostOf(plan)}…`);
  const chain = `${acmeStorageOf(layout)}/certificates/${plan.domain}/fullchain.pem`;
  const issued = await session.exec(waitForFile(chain, CERTIFICATE_WAIT_S, layout.sudo), { timeoutMs: (CERTIFICATE_WAIT_S + 10) * 1000 });
  if (issued.code !== 0) {
    const logs = await session.exec(`${layout.journalctl} -u ${shellQuote(layout.unitName)} -n 50 --no-pager 2>/dev/null`);
    const said = logs.stdout.split('\n').filter((line) => /certificate|acme|challenge/i.test(line)).pop()?.trim();
    throw new StepFailed(`no certificate for ${plan.domain} from ${caHostOf(plan)} within ${CERTIFICATE_WAIT_S} s: ${said || 'the portal said nothing about it'}. Does ${plan.domain} point at this server, and is port ${plan.acme.httpPort} open to the internet?`);
  }
  return `; certificate for ${plan.domain} issued by ${caHostOf(plan)}`;
}

export async function startPortal(ctx: InstallContext, report: StepReport): Promise<StepOutcome> {
  const session = await ctx.login.ensure();
  const layout = need(ctx.layout, 'where the files go');
  const unit = shellQuote(layout.unitName);
  await run(session, `${layout.systemctl} enable ${unit} && ${layout.systemctl} restart ${unit}`, `systemd would not start ${layout.unitName}`);
  const listening = await session.exec(waitListening(ctx.plan.linkPort, START_WAIT_S), { timeoutMs: (START_WAIT_S + 10) * 1000 });
  if (listening.code !== 0) {
    const logs = await session.exec(`${layout.journalctl} -u ${unit} -n 20 --no-pager 2>/dev/null`);
    const why = lastLine(logs.stdout) || 'no log lines';
    throw new StepFailed(`the portal did not start listening on port ${ctx.plan.linkPort} within ${START_WAIT_S} s: ${why}`);
  }
  await ctx.known.remember(serverRecord(ctx));
  const certificate = await awaitCertificate(ctx, session, layout, report);
  return { detail: `${layout.unitName} active, listening on port ${ctx.plan.linkPort}${certificate}` };
}

function serverRecord(ctx: InstallContext): ServerRecord {
  const layout = need(ctx.layout, 'where the files go');
  const key = ctx.login.verdict?.key ?? { algorithm: 'unknown', fingerprint: 'unknown' };
  return {
    host: ctx.plan.host,
    port: ctx.login.target.port,
    user: ctx.login.target.user,
    hostKey: { ...key, known: true },
    profile: ctx.plan.profile,
    transport: ctx.plan.transport,
    linkPort: ctx.plan.linkPort,
    folder: layout.folder,
    unit: { name: layout.unitName, scope: layout.scope },
    installedAt: Date.now(),
    ...(ctx.firewall ? { firewall: ctx.firewall } : {}),
  };
}

async function poll<T>(check: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export async function activateBridge(ctx: InstallContext): Promise<StepOutcome> {
  const { plan, host } = ctx;
  let trust: string | undefined;
  if (plan.certificateFile) {
    const session = await ctx.login.ensure();
    const layout = need(ctx.layout, 'where the files go');
    const pem = await session.exec(`${layout.sudo}cat ${shellQuote(plan.certificateFile)}`);
    trust = pem.code === 0 ? selfSignedPem(pem.stdout) : undefined;
  }
  const text = bridgeProfileFor(plan, trust);
  try {
    await host.saveProfile(plan.profile, text);
    await host.activateProfile(plan.profile);
  } catch (error) {
    throw new StepFailed(`the bridge profile "${plan.profile}" could not be saved or started here: ${(error as Error).message}`);
  }
  // Removal deletes the profile only if it is still this text (bridge-profile-here.ts).
  const record = await ctx.known.server(plan.host, ctx.login.target.port, ctx.login.target.user);
  if (record) await ctx.known.remember({ ...record, profileDigest: profileDigest(text) });
  let problem = '';
  const up = await poll(async () => {
    const bridge = (await host.getSnapshot()).bridges[0];
    problem = bridge?.problem?.message ?? problem;
    return bridge?.linkState === 'up' ? true : undefined;
  }, LINK_WAIT_MS);
  if (!up) throw new StepFailed(`the bridge here did not link to ${plan.host}:${plan.linkPort} within ${LINK_WAIT_MS / 1000} s${problem ? `: ${problem}` : ': is the port open in the provider\'s firewall?'}`);
  // Exposures move to the new portal on their own; wait (bounded) for those that are on.
  const live = await poll(async () => {
    const exposures = (await host.listExposures()).filter((exposure) => exposure.enabled);
    return exposures.every((exposure) => exposure.state === 'live' && exposure.portalKind === 'porthole' && exposure.publicAddress) ? exposures : undefined;
  }, EXPOSURE_WAIT_MS) ?? (await host.listExposures()).filter((exposure) => exposure.state === 'live' && exposure.portalKind === 'porthole' && exposure.publicAddress);
  ctx.run.result = {
    profile: plan.profile,
    linkAddress: `${plan.host}:${plan.linkPort}`,
    transport: plan.transport,
    exposures: live.map((exposure) => ({ id: exposure.id, url: exposure.urls?.[0] ?? `${exposure.localHttp === false ? 'tcp' : 'http'}://${exposure.publicAddress}` })),
  };
  const count = ctx.run.result.exposures.length;
  return { detail: `profile "${plan.profile}" active, link up${count > 0 ? `; ${count} exposure${count === 1 ? '' : 's'} live on the server` : ''}` };
}
