/**
 * Is anything listening at an exposure's local address? A plain TCP connect, closed at once: often
 * while the answer is no (so the UI says so and the exposure works as soon as the service starts),
 * rarely while it is yes.
 */
import net from 'node:net';

const CHECK_TIMEOUT_MS = 2000;
/** How often to look again while nothing listens, and while something does. */
export const PROBE_RETRY_MS = 5000;
export const PROBE_CONFIRM_MS = 60_000;

export interface ProbeTarget {
  id: string;
  localHost: string;
  localPort: number;
}

/** Resolves true when a TCP connection to host:port opens within 2 s. */
export function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port });
    const done = (reachable: boolean) => {
      socket.destroy();
      resolve(reachable);
    };
    socket.setTimeout(CHECK_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

interface ProbeState {
  key: string;
  reachable: boolean | null;
  checkedAt: number;
  checking: boolean;
}

export class ExposureProbe {
  private readonly states = new Map<string, ProbeState>();

  /** @param onChange called when an exposure's answer changes (not on the first answer that is yes). */
  constructor(private readonly onChange: (target: ProbeTarget, reachable: boolean) => void) {}

  /** The last answer; null before the first one. */
  reachable(id: string): boolean | null {
    return this.states.get(id)?.reachable ?? null;
  }

  /** Checks the targets that are due (all of `force`'s ids at once) and forgets the others. */
  tick(targets: readonly ProbeTarget[], now = Date.now(), force: ReadonlySet<string> = new Set()): void {
    const ids = new Set(targets.map((target) => target.id));
    for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
    for (const target of targets) {
      const key = `${target.localHost}:${target.localPort}`;
      let state = this.states.get(target.id);
      if (!state || state.key !== key) {
        state = { key, reachable: null, checkedAt: 0, checking: false };
        this.states.set(target.id, state);
      }
      const every = state.reachable ? PROBE_CONFIRM_MS : PROBE_RETRY_MS;
      if (state.checking || (!force.has(target.id) && now - state.checkedAt < every)) continue;
      this.check(target, state);
    }
  }

  private check(target: ProbeTarget, state: ProbeState): void {
    state.checking = true;
    void canConnect(target.localHost, target.localPort).then((reachable) => {
      state.checking = false;
      state.checkedAt = Date.now();
      if (this.states.get(target.id) !== state) return;
      const before = state.reachable;
      state.reachable = reachable;
      if (before !== reachable && (before !== null || !reachable)) this.onChange(target, reachable);
    });
  }
}
