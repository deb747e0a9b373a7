/**
 * The one problem the top-of-window banner shows (issue 4/7, "honest status"): "Running" and
 * "Live" must not stay green while nothing works. Derived from what the store already holds (the
 * dashboard's link, the bridges' last problem, the exposures' end-to-end state, the built-in
 * portal's reach), most fundamental first: without the service nothing else is known; without a
 * link to the portal no exposure works; a local service that does not answer breaks one exposure.
 * Pure: the banner and the tests call `currentProblems`.
 */
import type { BridgeState, EngineStatus, ExposureStatus, LocalPortalInfo } from '../../src-core/host/api/index.js';
import type { LinkStatus } from '../transport/index.js';
import { describeLinkProblem } from './bridges.js';

export type ProblemKind = 'dashboard-offline' | 'dashboard-unauthorized' | 'portal-dns' | 'portal-refused' | 'portal-timeout' | 'portal-unreachable' | 'local-down' | 'local-portal-lan';

export interface Problem {
  /** Stable per cause and subject (e.g. `local-down:e-0123abcd`). */
  id: string;
  kind: ProblemKind;
  tone: 'danger' | 'warn';
  /** What is wrong, in one line. */
  title: string;
  /** What to do about it. */
  action: string;
  /** The engine's own words, when they add something (shown small). */
  detail?: string;
  /** Where to go to fix it. */
  link?: { href: string; label: string };
}

export interface ProblemInput {
  linkStatus: LinkStatus;
  status: EngineStatus | null;
  bridges: readonly BridgeState[];
  exposures: readonly ExposureStatus[];
  localPortal: LocalPortalInfo | null;
}

const DNS_FAILURE = /\b(?:ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|EAI_NODATA)\b/;

/** `dial host:port` in the engine's line → `host:port`. */
function dialedAddress(message: string): string | null {
  return /\bdial (\S+?:\d+)/.exec(message)?.[1] ?? null;
}

/** The host a failed name lookup names (`getaddrinfo ENOTFOUND vps.example.invalid`). */
function unresolvedHost(message: string): string | null {
  return /\b(?:ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL|EAI_NODATA) (\S+)/.exec(message)?.[1] ?? null;
}

/** Why a bridge has no link to its portal, as a problem for people; null while it has one. */
export function bridgeProblem(bridge: BridgeState): Problem | null {
  if (bridge.linkState === 'up' || !bridge.problem) return null;
  const { code, message } = bridge.problem;
  const address = dialedAddress(message);
  const where = address ? ` at ${address}` : '';
  const base = { id: `bridge:${bridge.tag}`, tone: 'danger' as const, detail: message, link: { href: '#/profiles', label: 'Check the profile' } };
  if (DNS_FAILURE.test(message)) {
    const host = unresolvedHost(message) ?? address?.replace(/:\d+$/, '') ?? 'the server';
    return {
      ...base, kind: 'portal-dns',
      title: `Cannot find your server: the name ${host} does not resolve (DNS)`,
      action: 'Check the server address in the profile for a typo, and that this machine is online and its DNS works. Porthole keeps trying.',
    };
  }
  if (code === 'PH_DIAL_REFUSED') {
    return {
      ...base, kind: 'portal-refused',
      title: `Your server refuses the link${where}: nothing listens there`,
      action: 'Start Porthole or V2Ray on the server (Profiles → Server setup gives the command) and open that port in its firewall. Porthole reconnects by itself.',
    };
  }
  if (code === 'PH_DIAL_TIMEOUT' || code === 'PH_TIMEOUT') {
    return {
      ...base, kind: 'portal-timeout',
      title: `Your server does not answer${where}`,
      action: 'The server may be down, or a firewall drops the connection: check that the port is open. Porthole keeps trying.',
    };
  }
  // TLS, WebSocket path, a refused user…: the bridge card's headline for it.
  const view = describeLinkProblem(bridge.problem);
  return {
    ...base, kind: 'portal-unreachable', detail: view.detail,
    title: `No link to your server${where}: ${view.title.charAt(0).toLowerCase()}${view.title.slice(1)}`,
    action: 'Exposures through it are offline until the link is up. Fix what the line below says in the profile or on the server; Porthole keeps trying.',
  };
}

/** `127.0.0.1:3000`, IPv6 bracketed. */
function localOf(exposure: Pick<ExposureStatus, 'localHost' | 'localPort'>): string {
  const host = exposure.localHost.includes(':') && !exposure.localHost.startsWith('[') ? `[${exposure.localHost}]` : exposure.localHost;
  return `${host}:${exposure.localPort}`;
}

/** Every current problem, most fundamental first; the banner shows the first and counts the rest. */
export function currentProblems(input: ProblemInput): Problem[] {
  if (input.linkStatus === 'offline') {
    return [{
      id: 'dashboard-offline', kind: 'dashboard-offline', tone: 'danger',
      title: 'Reconnecting to the Porthole service…',
      action: 'The dashboard lost its connection to the service (it stopped, restarted, or the network dropped). What you see is from before; actions are off until it is back. It retries every few seconds.',
    }];
  }
  if (input.linkStatus === 'unauthorized') {
    return [{
      id: 'dashboard-unauthorized', kind: 'dashboard-unauthorized', tone: 'danger',
      title: 'The Porthole service no longer accepts this page’s token',
      action: 'It restarted with a new token. Open the dashboard URL it printed at start (it ends in ?token=…).',
    }];
  }
  const problems: Problem[] = [];
  const running = input.status?.state === 'running';
  if (running) {
    for (const bridge of input.bridges) {
      const problem = bridgeProblem(bridge);
      if (problem) problems.push(problem);
    }
  }
  for (const exposure of input.exposures) {
    if (exposure.state !== 'local-down') continue;
    const local = localOf(exposure);
    problems.push({
      id: `local-down:${exposure.id}`, kind: 'local-down', tone: 'warn',
      title: `Nothing answers on ${local} (“${exposure.name}”)`,
      action: `Its public address${exposure.publicAddress ? ` ${exposure.publicAddress}` : ''} is open, but visitors get no answer. Start the service on port ${exposure.localPort}, or edit the exposure; it turns Live by itself once something answers.`,
      link: { href: '#/exposures', label: 'Show exposures' },
    });
  }
  if (input.localPortal?.problem) {
    problems.push({
      id: 'local-portal-lan', kind: 'local-portal-lan', tone: 'warn',
      title: 'The built-in portal is not on the network',
      action: `${input.localPortal.problem.charAt(0).toUpperCase()}${input.localPortal.problem.slice(1)}.`,
      link: { href: '#/settings', label: 'Settings' },
    });
  }
  return problems;
}

/** The first engine-side problem's title (not the dashboard's own link), for the engine pill; null when none. */
export function firstProblemTitle(input: ProblemInput): string | null {
  if (input.linkStatus !== 'live') return null;
  return currentProblems(input)[0]?.title ?? null;
}
