/**
 * Whether the exposures' portal gives names. Every exposure has a label, but a Porthole portal
 * without `exposures.names` refuses a request that carries one (the whole exposure, port and
 * all). So the service asks with labels, and when the portal answers "gives no names" it asks
 * again without them, and offers the server's owner the line that turns names on: a wildcard-DNS
 * domain of the server's IP (sslip.io) needs no DNS setup at all. Labels are asked for again
 * once the links come back (the owner may have restarted the portal with names) or the engine restarts.
 * A domain of the user's own is dropped the same way, per exposure (the portal's reason tells which
 * name it refused): the exposure stays live by its label, and the reason is shown by the field.
 */
import type { NamesHint } from '../api/index.js';
import { sslipDomain } from '../api/index.js';
import type { AgentExposureStatus } from '../../engine/app/exposures/exposure-agent.js';
import { NO_NAMES } from '../../engine/app/exposures/exposure-names.js';
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
  /** Exposures whose own domain the portal does not serve: the domain asked for, and the portal's reason. */
  private readonly customRefused = new Map<string, { domain: string; reason: string }>();

  /** Whether to ask `instance`'s portal for labels. */
  asksNames(instance: Instance | undefined): boolean {
    this.follow(instance);
    return !this.without;
  }

  /** The exposures (of `customDomainOf`) to ask for without their own domain. */
  withoutCustomDomain(instance: Instance | undefined, customDomainOf: (id: string) => string | undefined): Set<string> {
    this.follow(instance);
    return new Set([...this.customRefused].filter(([id, refused]) => customDomainOf(id) === refused.domain).map(([id]) => id));
  }

  /** Why the portal does not serve `domain` for exposure `id`, or null (not refused, or another domain since). */
  customDomainRefusal(instance: Instance | undefined, id: string, domain: string | undefined): string | null {
    this.follow(instance);
    const refused = this.customRefused.get(id);
    return refused && refused.domain === domain ? refused.reason : null;
  }

  /**
   * Reads the engine's answers for `ids`; true when the exposures must be handed to the engine
   * again (an own domain or the labels now left out, or asked for again). `customDomainOf`: the
   * own domain each exposure asks for (undefined: none).
   */
  observe(instance: Instance | undefined, ids: readonly string[], customDomainOf: (id: string) => string | undefined = () => undefined): boolean {
    this.follow(instance);
    if (!instance || ids.length === 0) return false;
    const answers = ids.map((id) => ({ id, answer: instance.exposures.status(id) }));
    if (answers.some(({ answer }) => answer.state === 'offline') && (this.without || this.customRefused.size > 0)) {
      // The links came back: the owner may have restarted the portal with names.
      this.without = false;
      this.customRefused.clear();
      return true;
    }
    let again = false;
    for (const { id, answer } of answers) {
      if (!isNoNamesRefusal(answer)) continue;
      const message = answer.problem?.message ?? '';
      const domain = customDomainOf(id);
      if (message === NO_NAMES || domain === undefined) {
        // The label's refusal (the portal checks it first); its own domain, if any, is refused on the next answer.
        if (!this.without) again = true;
        this.without = true;
      } else if (this.customRefused.get(id)?.domain !== domain) {
        this.customRefused.set(id, { domain, reason: message });
        again = true;
      }
      // Else: an answer from before the domain was left out, still standing until the portal answers again.
    }
    return again;
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
    this.customRefused.clear();
  }
}
