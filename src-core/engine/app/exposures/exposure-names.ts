/**
 * Which exposure holds which name at the portal's edge. A bridge asks for a label (the name is
 * `<label>.<domain>`) or, where the owner allows it, a full name of its own; a name belongs to
 * one exposure at a time, so a request can never take over another's visitors.
 */
import { hostnameProblem, labelProblem } from '../../common/hostname.js';
import type { PortalNamesConfig } from '../../config/index.js';
import type { EdgeRoute, EdgeRouteTable } from '../edge/routes.js';

export interface NameClaim {
  /** The names the exposure holds (lower case). */
  readonly names: string[];
}

export interface NameRefusal {
  readonly error: string;
  /** The portal gives no such names at all (rather than: this one is invalid or taken). */
  readonly notOffered?: boolean;
}

/** What a name asks of the exposure that holds it. */
export interface NameHolder {
  /** The exposure's key at the portal (owner and id): equal keys are the same exposure. */
  readonly key: string;
  /** How a refusal names the holder to its own owner. */
  readonly describe: (askingOwnerKey: string) => string;
  readonly route: EdgeRoute;
}

export class ExposureNames implements EdgeRouteTable {
  private readonly byName = new Map<string, NameHolder>();

  constructor(
    private readonly config: PortalNamesConfig | undefined,
    private readonly scheme: { https: boolean; port: number },
    /** Names that gained a holder (certificates are ordered for them). */
    private readonly onClaimed: (names: readonly string[]) => void = () => {},
    /** Names no exposure holds any more. */
    private readonly onReleased: (names: readonly string[]) => void = () => {},
  ) {}

  /** The names `request` would hold, or why it cannot have them. Claims nothing. */
  check(holderKey: string, askingOwnerKey: string, request: { label?: string; customDomain?: string }): NameClaim | NameRefusal {
    const { config } = this;
    const names: string[] = [];
    if (request.label !== undefined) {
      if (!config) return { error: NO_NAMES, notOffered: true };
      const label = request.label.toLowerCase();
      const problem = labelProblem(label);
      if (problem) return { error: `name "${request.label}" cannot be used: ${problem}` };
      names.push(`${label}.${config.domain}`);
    }
    if (request.customDomain !== undefined) {
      if (!config?.customDomains) return { error: 'this portal does not serve names of your own: ask its owner to set "customDomains": true', notOffered: true };
      const name = request.customDomain.toLowerCase();
      const problem = hostnameProblem(name);
      if (problem) return { error: `name "${request.customDomain}" cannot be used: ${problem}` };
      if (name === config.domain || name.endsWith(`.${config.domain}`)) return { error: `name "${name}" is under the portal's own domain: ask for a label instead` };
      names.push(name);
    }
    for (const name of names) {
      const holder = this.byName.get(name);
      if (holder && holder.key !== holderKey) return { error: `name "${name}" is already taken by ${holder.describe(askingOwnerKey)}` };
    }
    return { names };
  }

  /** Gives `names` (from a `check` that passed) to `holder`, replacing what it held before. */
  claim(holder: NameHolder, names: readonly string[]): void {
    const before = this.namesOf(holder.key);
    for (const name of before) this.byName.delete(name);
    for (const name of names) this.byName.set(name, holder);
    const gone = before.filter((name) => !names.includes(name));
    const added = names.filter((name) => !before.includes(name));
    if (gone.length > 0) this.onReleased(gone);
    if (added.length > 0) this.onClaimed(added);
  }

  release(holderKey: string): void {
    const gone = this.namesOf(holderKey);
    for (const name of gone) this.byName.delete(name);
    if (gone.length > 0) this.onReleased(gone);
  }

  private namesOf(holderKey: string): string[] {
    return [...this.byName].filter(([, holder]) => holder.key === holderKey).map(([name]) => name);
  }

  resolve(hostname: string): EdgeRoute | undefined {
    return this.byName.get(hostname)?.route;
  }

  /** Where visitors reach `name`: `https://name` (or `http://name:port` before HTTPS exists). */
  urlOf(name: string): string {
    const { https, port } = this.scheme;
    const standard = https ? port === 443 : port === 80;
    return `${https ? 'https' : 'http'}://${name}${standard ? '' : `:${port}`}`;
  }
}

export const NO_NAMES = 'this portal gives no names: its owner can add "names": {"domain": …} to its "exposures"';

export function isRefusal(result: NameClaim | NameRefusal): result is NameRefusal {
  return 'error' in result;
}
