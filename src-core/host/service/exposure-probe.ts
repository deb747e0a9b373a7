/**
 * Is anything listening at an exposure's local address? A plain TCP connect, closed at once: often
 * while the answer is no (so the UI says so and the exposure works as soon as the service starts),
 * every 10 s while it is yes (so "Live" stops being said soon after the service stops).
 *
 * Is it HTTP? Decided by asking, not by the port number: each time the address starts answering,
 * one `HEAD /` goes to it and an answer starting `HTTP/` makes it HTTP (its public address is then
 * given out as `http://…`). One request per start of the service, never per check.
 */
import net from 'node:net';

const CHECK_TIMEOUT_MS = 2000;
/** How often to look again while nothing listens, and while something does. */
export const PROBE_RETRY_MS = 5000;
export const PROBE_CONFIRM_MS = 10_000;

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

/**
 * Resolves true when host:port answers `HEAD /` with an HTTP status line within 2 s, false when it
 * answers otherwise, closes, or says nothing (a protocol where the client speaks first and waits).
 */
export function answersHttp(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const bare = host.replace(/^\[|\]$/g, '');
    const socket = net.connect({ host: bare, port });
    let received = '';
    const done = (http: boolean) => {
      socket.destroy();
      resolve(http);
    };
    socket.setTimeout(CHECK_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => {
      const hostHeader = bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
      socket.write(`HEAD / HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: porthole-probe\r\nConnection: close\r\n\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.length >= 5) done(received.startsWith('HTTP/'));
    });
    socket.once('end', () => done(received.startsWith('HTTP/')));
    socket.once('error', () => done(false));
  });
}

interface ProbeState {
  key: string;
  reachable: boolean | null;
  /** Whether it answered HTTP, asked when it starts answering; null before. */
  http: boolean | null;
  checkingHttp: boolean;
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

  /** Whether the local address answered HTTP since it last started answering; null before that check. */
  http(id: string): boolean | null {
    return this.states.get(id)?.http ?? null;
  }

  /** Checks the targets that are due (all of `force`'s ids at once) and forgets the others. */
  tick(targets: readonly ProbeTarget[], now = Date.now(), force: ReadonlySet<string> = new Set()): void {
    const ids = new Set(targets.map((target) => target.id));
    for (const id of this.states.keys()) if (!ids.has(id)) this.states.delete(id);
    for (const target of targets) {
      const key = `${target.localHost}:${target.localPort}`;
      let state = this.states.get(target.id);
      if (!state || state.key !== key) {
        state = { key, reachable: null, http: null, checkingHttp: false, checkedAt: 0, checking: false };
        this.states.set(target.id, state);
      }
      const every = state.reachable ? PROBE_CONFIRM_MS : PROBE_RETRY_MS;
      if (state.checking || (!force.has(target.id) && now - state.checkedAt < every)) continue;
      this.check(target, state);
    }
  }

  private checkHttp(target: ProbeTarget, state: ProbeState): void {
    state.checkingHttp = true;
    void answersHttp(target.localHost, target.localPort).then((http) => {
      state.checkingHttp = false;
      if (this.states.get(target.id) === state && state.reachable) state.http = http;
    });
  }

  private check(target: ProbeTarget, state: ProbeState): void {
    state.checking = true;
    void canConnect(target.localHost, target.localPort).then((reachable) => {
      state.checking = false;
      state.checkedAt = Date.now();
      if (this.states.get(target.id) !== state) return;
      const before = state.reachable;
      state.reachable = reachable;
      if (!reachable) state.http = null;
      else if (before !== true && !state.checkingHttp) this.checkHttp(target, state);
      if (before !== reachable && (before !== null || !reachable)) this.onChange(target, reachable);
    });
  }
}
