/**
 * Counting what the edge lets in, so one busy name, one busy bridge or one greedy visitor host
 * cannot take what the others need: exchanges in progress per name and per owner (each holds a
 * stream over a bridge link), and open connections per visitor address (each holds a file
 * descriptor on the portal, even a slowloris one that never finishes its headers).
 */
import type { Socket } from 'node:net';
import { plainAddress } from './edge-access.js';
import type { EdgeLimits } from './edge-limits.js';
import type { EdgeRoute } from './routes.js';

export type AdmissionRefusal = 'name-busy' | 'owner-busy';

function increment(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function decrement(counts: Map<string, number>, key: string): void {
  const next = (counts.get(key) ?? 1) - 1;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
}

/** Exchanges (requests, WebSockets) in progress, per name and per owner. */
export class ExchangeAdmission {
  private readonly perName = new Map<string, number>();
  private readonly perOwner = new Map<string, number>();

  constructor(private readonly limits: Pick<EdgeLimits, 'maxActivePerName' | 'maxActivePerOwner'>) {}

  /** A release function (safe to call twice) when there is room, else why not. */
  enter(route: EdgeRoute): (() => void) | AdmissionRefusal {
    if ((this.perName.get(route.hostname) ?? 0) >= this.limits.maxActivePerName) return 'name-busy';
    if ((this.perOwner.get(route.ownerKey) ?? 0) >= this.limits.maxActivePerOwner) return 'owner-busy';
    increment(this.perName, route.hostname);
    increment(this.perOwner, route.ownerKey);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.perName, route.hostname);
      decrement(this.perOwner, route.ownerKey);
    };
  }

  /** In progress now, for tests and the dashboard. */
  active(): { perName: Record<string, number>; perOwner: Record<string, number> } {
    return { perName: Object.fromEntries(this.perName), perOwner: Object.fromEntries(this.perOwner) };
  }
}

/** Open connections per visitor address on one listener. */
export class AddressConnections {
  private readonly counts = new Map<string, number>();

  constructor(private readonly maxPerAddress: number) {}

  /** Counts `socket` until it closes; false (and nothing counted) when its address is at the cap. */
  admit(socket: Socket): boolean {
    const address = plainAddress(socket.remoteAddress ?? '');
    if ((this.counts.get(address) ?? 0) >= this.maxPerAddress) return false;
    increment(this.counts, address);
    socket.once('close', () => decrement(this.counts, address));
    return true;
  }
}
