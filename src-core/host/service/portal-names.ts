/**
 * Whether the exposures' portal gives names. Every exposure has a label, but a Porthole portal
 * without `exposures.names` refuses a request that carries one (the whole exposure, port and
 * all). So the service asks with labels, and when the portal answers "gives no names" it asks
 * again without them, and offers the server's owner the line that turns names on: a wildcard-DNS
 * domain of the server's IP (sslip.io) needs no DNS setup at all. Labels are asked for again
 * once the links come back (the owner may have restarted the portal with names) or the engine restarts.
 */
import type { NamesHint } from '../api/index.js';
import { sslipDomain } from '../api/index.js';
import type { AgentExposureStatus } from '../../engine/app/exposures/exposure-agent.js';
import type { Instance } from '../../engine/instance.js';

/** The portal's refusal of a label because it has no names at all (a taken or bad label is the user's to fix). */
export function isNoNamesRefusal(status: Pick<AgentExposureStatus, 'state' | 'problem'>): boolean {
  return status.state === 'refused' && status.problem?.code === 'PH_EXPOSE_NO_NAMES';
}

/** The `names` member for a portal reached at `host` (an IP gets an sslip.io domain), or null without a host. */
export function namesHintFor(host: string | null): NamesHint | null {
  if (!host) return null;
  const plain = host.replace(/^\[|\]$/g, '');
  const wildcard = sslipDomain(plain);
  // An IPv6 address has no sslip.io form here; a name of the owner's needs its wildcard record.
  if (!wildcard && plain.includes(':')) return null;
  const domain = wildcard ?? plain.toLowerCase();
  return { snippet: `"names": {"domain": "${domain}", "acme": {}}`, domain, wildcardDns: wildcard !== null };
}

/** `203.0.113.5` of `203.0.113.5:20001` (or `::1` of `[::1]:20001`). */
export function hostOfAddress(address: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(address);
  if (bracketed?.[1]) return bracketed[1];
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

export class PortalNames {
  private instance: Instance | undefined;
  /** The running engine's portal said it gives no names: labels are left out. */
  private without = false;

  /** Whether to ask `instance`'s portal for labels. */
  asksNames(instance: Instance | undefined): boolean {
    this.follow(instance);
    return !this.without;
  }

  /**
   * Reads the engine's answers for `ids`; true when the exposures must be handed to the engine
   * again (labels now left out, or asked for again).
   */
  observe(instance: Instance | undefined, ids: readonly string[]): boolean {
    this.follow(instance);
    if (!instance || ids.length === 0) return false;
    const answers = ids.map((id) => instance.exposures.status(id));
    if (!this.without) {
      if (!answers.some(isNoNamesRefusal)) return false;
      this.without = true;
      return true;
    }
    if (answers.some((answer) => answer.state === 'offline')) {
      this.without = false;
      return true;
    }
    return false;
  }

  /** True while `instance`'s portal has said it gives no names. */
  givesNoNames(instance: Instance | undefined): boolean {
    this.follow(instance);
    return this.without;
  }

  /** A new engine (a restart, another profile) is asked with labels again. */
  private follow(instance: Instance | undefined): void {
    if (instance === this.instance) return;
    this.instance = instance;
    this.without = false;
  }
}
