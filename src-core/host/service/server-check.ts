/**
 * Server setup's Check: tries the link as the setup's bridge profile makes it, step by step, and
 * then each exposure's public port end to end, and says in one line per step what worked or why
 * not. Real parts only: the engine's own dialer (TCP, TLS, WebSocket) for the first steps, then a
 * real bridge link for the VMess/VLESS request, so the portal sees an ordinary bridge (visitors it
 * hands that link meanwhile are served):
 * - the running engine's, when it links the same way: Check adds no link. V2Ray 4.34's portal
 *   keeps picking a closed link for up to 30 s (docs: v2ray-wire-protocol.md §5.2, "4.34 quirk"),
 *   so a link opened and closed by Check would break visitors' connections meanwhile;
 * - else a short-lived bridge (an `Instance` with the same outbound), since nothing of ours is
 *   linked there anyway.
 *
 * An exposure counts as reaching its local service when the first bytes that come back through
 * its public port are the ones the service answers directly (a greeting it sends first, or its
 * answer to one `HEAD /`): a portal inbound aimed elsewhere, or none at all, is told apart. With
 * names (Caddy/nginx in front, the ports on loopback) each name is asked over HTTPS instead.
 */
import net from 'node:net';
import type { Exposure, ServerCheck, ServerCheckStep, ServerSetup } from '../api/index.js';
import { formatErrorLine } from '../../engine/common/errors.js';
import { loadConfig } from '../../engine/config/index.js';
import { Instance } from '../../engine/instance.js';
import { bridgeUplink, isServerUplink, type ServerUplink } from '../../engine/app/reverse/uplink.js';
import { dial } from '../../engine/transport/internet/dial.js';
import { dialTcp } from '../../engine/transport/tcp.js';
import { exposureSpecs } from './exposure-list.js';
import { checkName, type NameCheckOptions } from './server-check-names.js';

export interface ServerCheckOptions {
  /** For each dial (TCP, TLS, WebSocket); default 6 s. */
  dialTimeoutMs?: number;
  /** How long the bridge link may take to be accepted; default 10 s. */
  linkTimeoutMs?: number;
  /** How long a service may take to say its first bytes; default 3 s. */
  answerTimeoutMs?: number;
  /** The running engine: its bridge link is used when it links the same way (no second link). */
  running?: Instance;
  /** Tests: where names are asked (port, address, trusted certificates); default as DNS says, on 443. */
  names?: Omit<NameCheckOptions, 'timeoutMs'>;
}

const DEFAULTS = { dialTimeoutMs: 6000, linkTimeoutMs: 10_000, answerTimeoutMs: 3000 };
/** A service that speaks first (SSH, SMTP) does so at once; one that does not gets a `HEAD /`. */
const GREETING_WAIT_MS = 600;
/** Enough of an answer to tell two services apart, short enough to ignore a changing body. */
const SIGNATURE_BYTES = 64;

type Step = ServerCheckStep;
const ok = (kind: Step['kind'], title: string, detail = '', exposureId?: string): Step => ({ kind, state: 'ok', title, detail, ...(exposureId ? { exposureId } : {}) });
const failed = (kind: Step['kind'], title: string, detail: string, exposureId?: string): Step => ({ kind, state: 'failed', title, detail, ...(exposureId ? { exposureId } : {}) });
const skipped = (kind: Step['kind'], title: string, exposureId?: string): Step => ({ kind, state: 'skipped', title, detail: 'not tried: an earlier step failed', ...(exposureId ? { exposureId } : {}) });

/** Node's errno under a PortholeError's cause chain. */
function errnoOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && !code.startsWith('PH_')) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Why a TCP dial to the server failed, in the user's terms. */
export function describeServerDial(error: unknown, host: string, port: number, behindProxy: boolean): string {
  const errno = errnoOf(error);
  const code = (error as { code?: string } | null)?.code;
  const listener = behindProxy ? 'nginx or Caddy' : 'V2Ray';
  if (errno === 'ENOTFOUND') return `DNS: ${host} does not resolve; check the name, or use the server's IP address`;
  if (errno === 'EAI_AGAIN') return `DNS: looking up ${host} failed for now (no answer from the resolver); is this machine online?`;
  if (errno === 'ECONNREFUSED') return `refused: nothing listens on ${host}:${port}; is ${listener} running there, on that port?`;
  if (errno === 'EHOSTUNREACH' || errno === 'ENETUNREACH') return `no route to ${host} (${errno}): is this machine online, and the address right?`;
  if (code === 'PH_DIAL_TIMEOUT' || errno === 'ETIMEDOUT') return `no answer from ${host}:${port}: a firewall drops it (open port ${port}/tcp), or the address is wrong`;
  return formatErrorLine(error);
}

/** What the transport step is called for these stream settings. */
function transportName(uplink: ServerUplink): string | null {
  const stream = uplink.outbound.streamSettings;
  const tls = stream?.security === 'tls';
  const ws = stream?.network === 'websocket';
  if (tls && ws) return `TLS + WebSocket at ${stream.ws?.path ?? '/'}`;
  if (tls) return 'TLS';
  if (ws) return `WebSocket at ${stream.ws?.path ?? '/'}`;
  return null;
}

/** Why the transport handshake failed; the engine's own line names the cause (certificate, 404, not TLS). */
function describeTransport(error: unknown): string {
  const line = formatErrorLine(error);
  if (/ 404\b/.test(line)) return `${line} (the path is not the one nginx, Caddy or the portal serves: 404)`;
  return line;
}

/** The last words of a failed link, made precise: a portal that closes without answering did not accept the user. */
function describeLink(problem: { code: string; message: string } | null, uplink: ServerUplink, logs: readonly string[]): string {
  const protocol = uplink.kind === 'vless' ? 'VLESS' : 'VMess';
  const user = uplink.server.users[0]?.id ?? '?';
  const must = `its inbound on that port must be ${protocol} with user ${user}, routed to the portal`;
  if (!problem || problem.code === 'PH_PORTAL_SILENT') {
    // V2Ray reads on in silence after a request it cannot authenticate (4.34's drain), so silence is the usual rejection.
    const said = logs.filter((line) => /warning|error/i.test(line)).at(-1);
    return `auth rejected: the portal took the connection but never answered the ${protocol} request: ${must}${said ? ` (${said.trim()})` : ''}`;
  }
  if (problem.code === 'PH_CLOSED' || problem.code === 'PH_CONNECTION_RESET' || /closed|reset|end of stream|ended/i.test(problem.message)) {
    return `auth rejected: the portal closed the link without answering the ${protocol} request: ${must} (${problem.message})`;
  }
  return problem.message;
}

type Answer =
  | { kind: 'bytes'; signature: string }
  | { kind: 'silent' }
  | { kind: 'closed' }
  | { kind: 'failed'; errno: string | undefined; message: string };

/**
 * Connects to host:port and takes the first bytes the service says: unprompted within a moment,
 * else after one `HEAD /`. `silent` when it says nothing, `closed` when it hangs up first.
 */
export function firstAnswer(host: string, port: number, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve) => {
    const bare = host.replace(/^\[|\]$/g, '');
    const socket = net.connect({ host: bare, port });
    let received = Buffer.alloc(0);
    let settled = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const done = (answer: Answer) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const signature = () => {
      const newline = received.indexOf(0x0a);
      return received.subarray(0, newline >= 0 ? Math.min(newline, SIGNATURE_BYTES) : SIGNATURE_BYTES).toString('latin1').replace(/\r$/, '');
    };
    socket.once('connect', () => {
      timers.push(setTimeout(() => {
        if (received.length > 0) return;
        const hostHeader = bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
        socket.write(`HEAD / HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: porthole-check\r\nConnection: close\r\n\r\n`);
      }, GREETING_WAIT_MS));
      timers.push(setTimeout(() => done(received.length > 0 ? { kind: 'bytes', signature: signature() } : { kind: 'silent' }), GREETING_WAIT_MS + timeoutMs));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= SIGNATURE_BYTES || received.includes(0x0a)) done({ kind: 'bytes', signature: signature() });
    });
    socket.once('end', () => done(received.length > 0 ? { kind: 'bytes', signature: signature() } : { kind: 'closed' }));
    socket.once('error', (error: Error & { code?: string }) => done(received.length > 0 ? { kind: 'bytes', signature: signature() } : { kind: 'failed', errno: error.code, message: error.message }));
    timers.push(setTimeout(() => done({ kind: 'failed', errno: 'ETIMEDOUT', message: 'no answer' }), GREETING_WAIT_MS + timeoutMs + 1000));
  });
}

const quoted = (signature: string) => JSON.stringify(signature.length > 40 ? `${signature.slice(0, 39)}…` : signature);

/** One exposure: the service answered directly, then through the public port; the same bytes mean it reaches it. */
async function checkExposure(host: string, target: { exposureId: string; name: string; port: number; local: string }, localHost: string, localPort: number, timeoutMs: number): Promise<Step> {
  const reaches = `exposure ${target.name} → port ${target.port}`;
  const [direct, remote] = await Promise.all([firstAnswer(localHost, localPort, timeoutMs), firstAnswer(host, target.port, timeoutMs)]);
  if (remote.kind === 'failed') {
    if (remote.errno === 'ECONNREFUSED') return failed('exposure', `${reaches} is not set up`, `nothing listens on ${host}:${target.port}: the portal config has no inbound for it (apply Server setup's config and restart V2Ray)`, target.exposureId);
    if (remote.errno === 'ETIMEDOUT') return failed('exposure', `${reaches} does not answer`, `${host}:${target.port} gives no answer: open port ${target.port}/tcp in the server's firewall`, target.exposureId);
    return failed('exposure', `${reaches} fails`, `${host}:${target.port}: ${remote.message}`, target.exposureId);
  }
  if (direct.kind === 'failed' || direct.kind === 'closed') {
    return failed('exposure', `${reaches}: ${target.local} is not answering here`, `the public port is open, but nothing answers at ${target.local} on this machine: start the service`, target.exposureId);
  }
  if (direct.kind === 'silent') {
    return remote.kind === 'closed'
      ? failed('exposure', `${reaches} does not reach ${target.local}`, `${host}:${target.port} took the connection and closed it: is a bridge linked, and does the inbound point at ${target.local}?`, target.exposureId)
      : ok('exposure', `${reaches} is open`, `${target.local} says nothing to a probe, so Check cannot tell whether the bytes reach it`, target.exposureId);
  }
  if (remote.kind === 'bytes' && remote.signature === direct.signature) return ok('exposure', `${reaches} reaches ${target.local}`, `answered ${quoted(direct.signature)}`, target.exposureId);
  if (remote.kind === 'bytes') {
    return failed('exposure', `${reaches} reaches something else`, `it answers ${quoted(remote.signature)}, but ${target.local} answers ${quoted(direct.signature)}: the portal's inbound for port ${target.port} must point at ${target.local}`, target.exposureId);
  }
  return failed('exposure', `${reaches} does not reach ${target.local}`, `${host}:${target.port} took the connection but ${remote.kind === 'closed' ? 'closed it' : 'said nothing'}: is a bridge linked, and does the inbound point at ${target.local}?`, target.exposureId);
}

/** True when the running engine's uplink is the one checked: same protocol, server, user and transport. */
function sameLink(running: Instance | undefined, uplink: ServerUplink): boolean {
  const current = running?.exposureUplink;
  if (!isServerUplink(current) || current.kind !== uplink.kind) return false;
  const key = (link: ServerUplink) => JSON.stringify([link.server.address, link.server.port, link.server.users[0]?.id, link.outbound.streamSettings ?? null]);
  return key(current) === key(uplink);
}

/**
 * Waits until `bridge` has a link the portal answered, reports a problem it had not reported
 * before (a running bridge may still hold one from before the portal was up), or `timeoutMs` passes.
 */
async function linkSettled(bridge: Instance['bridges'][number] | undefined, timeoutMs: number): Promise<void> {
  const before = bridge?.lastProblem ?? null;
  const deadline = Date.now() + timeoutMs;
  const fresh = () => bridge?.lastProblem && bridge.lastProblem !== before;
  while ((bridge?.activeLinks ?? 0) === 0 && !fresh() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
}

/** `host:port` → host (IPv6 without brackets). */
function hostOf(address: string): string {
  const host = address.slice(0, address.lastIndexOf(':'));
  return host.replace(/^\[|\]$/g, '');
}

/** Runs the whole check for `setup` (made for `exposures`); never rejects for what it finds. */
export async function checkServer(setup: ServerSetup, exposures: readonly Exposure[], options: ServerCheckOptions = {}): Promise<ServerCheck> {
  const { dialTimeoutMs, linkTimeoutMs, answerTimeoutMs } = { ...DEFAULTS, ...options };
  const steps: Step[] = [];
  const result = () => ({ profile: setup.profile, serverAddress: setup.serverAddress, ok: steps.every((step) => step.state === 'ok'), steps });
  const exposureSteps = (title: (port: { name: string; port: number; local: string }) => string) => setup.names
    ? setup.names.names.map((name) => skipped('exposure', `exposure ${name.name} → ${name.url}`, name.exposureId))
    : setup.publicPorts.map((port) => skipped('exposure', title(port), port.exposureId));

  // The bridge profile these configs expect, its inbounds left out: only its link is wanted here.
  const json = JSON.parse(setup.bridge.text) as Record<string, unknown>;
  json.inbounds = [];
  const config = loadConfig([{ name: setup.bridge.fileName, text: JSON.stringify(json) }], { env: {} });
  const bridge = config.reverse.bridges[0];
  const uplink = bridge ? bridgeUplink(config, bridge) : undefined;
  if (!bridge || !isServerUplink(uplink)) throw new Error(`server check: the bridge profile of "${setup.profile}" has no link to a server`);
  const { address: host, port } = uplink.server;
  const behindProxy = setup.transport.kind === 'ws-tls';
  const protocol = uplink.kind === 'vless' ? 'VLESS' : 'VMess';
  const untried = (from: Step['kind']) => {
    const transport = transportName(uplink);
    if (from === 'server' && transport) steps.push(skipped('transport', transport));
    if (from !== 'link') steps.push(skipped('link', 'link'));
    steps.push(...exposureSteps((target) => `exposure ${target.name} → port ${target.port}`));
    return result();
  };

  try {
    const socket = await dialTcp(host, port, dialTimeoutMs);
    socket.destroy();
    steps.push(ok('server', 'server reachable', `${host}:${port} accepts connections`));
  } catch (error) {
    steps.push(failed('server', 'server not reachable', describeServerDial(error, host, port, behindProxy)));
    return untried('server');
  }

  const transport = transportName(uplink);
  if (transport) {
    try {
      const connection = await dial(host, port, uplink.outbound.streamSettings, dialTimeoutMs);
      connection.destroy();
      const trusted = setup.transport.serverName ? `, certificate for ${setup.transport.serverName} trusted` : '';
      steps.push(ok('transport', `${transport} accepted`, `handshake done${trusted}`));
    } catch (error) {
      steps.push(failed('transport', `${transport} failed`, describeTransport(error)));
      return untried('transport');
    }
  }

  // A real bridge: the portal answers its request only once it accepted the user.
  const logs: string[] = [];
  const reuse = sameLink(options.running, uplink) ? options.running : undefined;
  const instance = reuse ? undefined : new Instance(config, { logSinks: { error: { write: (line: string) => { if (logs.length < 200) logs.push(line); } }, access: { write: () => {} } }, closedConnectionHistory: false });
  try {
    if (instance) {
      await instance.start();
      await instance.setExposures(exposureSpecs(exposures, false).filter((spec) => spec.enabled));
    }
    const engine = reuse ?? instance;
    const linked = engine?.bridges[0];
    await linkSettled(linked, linkTimeoutMs);
    if ((linked?.activeLinks ?? 0) === 0) {
      steps.push(failed('link', 'link not accepted', describeLink(linked?.lastProblem ?? null, uplink, logs)));
      return untried('link');
    }
    steps.push(ok('link', 'link accepted', reuse
      ? `the running bridge's link is up: the portal answered its ${protocol} request`
      : `the portal answered the ${protocol} request on a link opened for this check (V2Ray may take up to 30 s to forget it once closed)`));
    if (engine?.exposures.portalKind === 'porthole') {
      // A Porthole server opens exposures' ports on request, not at the ports of the V2Ray config.
      steps.push(...setup.publicPorts.map((target) => ok('exposure', `exposure ${target.name}: the server runs Porthole`, 'it opens public ports on request: the Exposures page shows each one’s address', target.exposureId)));
      return result();
    }
    const byId = new Map(exposures.map((exposure) => [exposure.id, exposure]));
    if (setup.names) {
      for (const name of setup.names.names) {
        const exposure = byId.get(name.exposureId);
        if (exposure) steps.push(await checkName(name, `${exposure.localHost}:${exposure.localPort}`, { timeoutMs: dialTimeoutMs, ...options.names }));
      }
      return result();
    }
    const publicHost = hostOf(setup.serverAddress);
    for (const target of setup.publicPorts) {
      const exposure = byId.get(target.exposureId);
      if (!exposure) continue;
      steps.push(await checkExposure(publicHost, target, exposure.localHost, exposure.localPort, answerTimeoutMs));
    }
    return result();
  } finally {
    await instance?.close().catch(() => {});
  }
}
