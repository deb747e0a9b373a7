/**
 * The bridge (V2Ray's `app/reverse/bridge.go`, wire doc §5.1 and §5.3), laid out as 4.34 lays it
 * out so the two diff: `Bridge` runs `monitor` every 2 s, which calls `cleanup` and opens a
 * `BridgeWorker` when no link is active or the active ones average more than 16 sessions. A
 * worker dispatches `tcp:<domain>:0` with the bridge's tag as inbound tag (routing picks the VMess
 * outbound), serves Mux on that link, reads the portal's Control messages in `handleInternalConn`
 * and dispatches every other session in `dispatch`, again with the bridge's tag.
 *
 * Better than 4.34: a lost link is redialled at once, not at the next 2-second tick, with capped
 * exponential backoff and jitter while the portal stays unreachable (or keeps dropping links as
 * soon as they are up). Failures are logged in full the first few times, then summarised (issue
 * "Survival II", defect 7: a bridge whose portal was down wrote two lines a second).
 *
 * Porthole's extensions (exposures) get each link's control session through `BridgeExtension`
 * (control-channel.ts); the bridge does not know what they say.
 */
import { PortholeError, formatErrorLine } from '../../common/errors.js';
import { disposableInterval, disposableTimeout, type Disposable, type Runnable } from '../../common/disposable.js';
import { formatDestination, type Destination } from '../../common/net.js';
import { newSession } from '../../common/session.js';
import { CONTROL_DOMAIN } from '../../common/mux/consts.js';
import { MuxServer } from '../../common/mux/server.js';
import type { MuxStream } from '../../common/mux/stream.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import { createLinkPair } from '../../transport/link.js';
import type { ComponentLogger } from '../../features/log.js';
import { ControlState, decodeControl, type ControlMessage } from './control.js';
import type { BridgeControlChannel, BridgeExtension } from './control-channel.js';

export const BRIDGE_MONITOR_MS = 2000;
/** A new link is opened when the average sessions per active link (control included) exceeds this. */
export const BRIDGE_SESSIONS_PER_LINK = 16;
/**
 * Redial backoff while the portal is unreachable: 250 ms doubling to 2 s, with jitter. A portal
 * that is down for long is tried about 40 times a minute, and traffic flows within 2 s of it
 * coming back (4.34 dials at its 2-second tick); a short outage is bridged within a second or so.
 * The failures are summarised in the log (repeats.ts), so the rate costs no log lines.
 */
export const BRIDGE_BACKOFF_MIN_MS = 250;
export const BRIDGE_BACKOFF_MAX_MS = 2000;
/** A confirmed link lost sooner than this after it opened is a flap: the redial backs off, as after a failure. */
export const BRIDGE_STABLE_LINK_MS = 2000;
/**
 * A lone link the portal has not spoken on within this time is reported (the UI and the log say
 * why), not closed: a VMess or VLESS server that rejects the credentials reads on in silence, and
 * so does a stalled portal (stopped, overloaded), which puts sessions on the link once it wakes.
 */
export const BRIDGE_SILENCE_REPORTED_MS = 10_000;
/**
 * A link the portal has not spoken on within this time is given up and redialed (a clock or a
 * portal fixed since). Given up sooner, a link would cut what a stalled portal puts on it when it
 * wakes: the connection still waits in its accept queue, credentials and all.
 */
export const BRIDGE_CONNECT_TIMEOUT_MS = 60_000;

export interface BridgeOptions {
  tag: string;
  domain: string;
  dispatcher: Dispatcher;
  log: ComponentLogger;
  streamBufferBytes: number;
  level?: number;
  /** A Porthole extension that listens on each link's control session (the user's exposures). */
  extension?: BridgeExtension;
}

/** How long to wait before the next dial after `failures` failures in a row: none after none, else capped exponential with jitter (half to all of it). */
export function bridgeRetryDelayMs(failures: number, random: () => number = Math.random): number {
  if (failures <= 0) return 0;
  const backoff = Math.min(BRIDGE_BACKOFF_MAX_MS, BRIDGE_BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 30));
  return backoff / 2 + random() * (backoff / 2);
}

/** Bridge is a component in reverse proxy, that relays connections from Portal to local address. */
export class Bridge implements Runnable {
  readonly log: ComponentLogger;
  private readonly workers = new Set<BridgeWorker>();
  private monitorTask: Disposable | undefined;
  /** Porthole: the early monitor run after a link was lost, if one is pending (the backoff wait). */
  private retry: Disposable | undefined;
  private failures = 0;
  /** Confirmed links lost in a row, each within BRIDGE_STABLE_LINK_MS of opening. */
  private flaps = 0;
  /** Counts the times a link came up: each outage's failures are summarised apart from the last one's. */
  private outage = 0;
  private running = false;
  /** Why the last link failed or was lost; cleared when a link is up again (for the UI). */
  lastProblem: { code: string; message: string } | null = null;

  constructor(private readonly options: BridgeOptions) {
    this.log = options.log;
  }

  /**
   * Forgets workers whose link closed. 4.34 forgets every worker that is not active; Porthole
   * keeps a connecting one (it is waited for) and a draining one until its link closes (so that
   * `close` still ends it).
   */
  private cleanup(): void {
    for (const worker of this.workers) if (worker.state === 'closed') this.workers.delete(worker);
  }

  /**
   * 4.34's rule: open a worker when none is active or when the active ones average more than 16
   * sessions. Porthole waits for a connecting worker instead of opening more, gives up on one the
   * portal never answered, and does not dial while a backoff wait runs.
   */
  private monitor(): void {
    if (!this.running) return;
    this.cleanup();
    // A draining link counts: the portal took the bridge's credentials on it all the same.
    const besideConfirmed = [...this.workers].some((worker) => worker.isConfirmedOpen());
    for (const worker of this.workers) {
      if (worker.state !== 'connecting') continue;
      const silentMs = Date.now() - worker.openedAt;
      if (silentMs > BRIDGE_CONNECT_TIMEOUT_MS) {
        const why = besideConfirmed ? 'while it answers the others' : 'authentication rejected, or the portal is stalled';
        worker.close(new PortholeError('PH_DIAL_TIMEOUT', `the portal did not answer within ${BRIDGE_CONNECT_TIMEOUT_MS / 1000} s: ${why}`));
      } else if (!besideConfirmed && silentMs > BRIDGE_SILENCE_REPORTED_MS) {
        this.reportSilence();
      }
    }
    // While a backoff wait runs, the monitor's tick must not dial past it (it did: one dial per 2 s at least).
    if (this.retry) return;
    const live = [...this.workers].filter((worker) => worker.isActive() || worker.state === 'connecting');
    if (live.some((worker) => worker.state === 'connecting')) return;
    const numConnections = live.reduce((sum, worker) => sum + worker.connections, 0);
    if (live.length === 0 || Math.floor(numConnections / live.length) > BRIDGE_SESSIONS_PER_LINK) this.newWorker();
  }

  async start(): Promise<void> {
    this.running = true;
    this.monitor();
    this.monitorTask = disposableInterval(() => this.monitor(), BRIDGE_MONITOR_MS);
  }

  async close(): Promise<void> {
    this.running = false;
    this.monitorTask?.dispose();
    this.retry?.dispose();
    for (const worker of [...this.workers]) worker.close();
    this.workers.clear();
  }

  /** Links that carry traffic now (for the UI and tests). */
  get activeLinks(): number {
    return [...this.workers].filter((worker) => worker.isActive()).length;
  }

  /** A lone link unanswered for 10 s: said once, in the log and for the UI, while it is waited for. */
  private reportSilence(): void {
    if (this.lastProblem?.code === 'PH_PORTAL_SILENT') return;
    const message = `the portal has not answered for ${BRIDGE_SILENCE_REPORTED_MS / 1000} s: authentication rejected? (check the user ID, the clock, and that the domain matches the portal's) Or the portal is stalled: the link waits up to ${BRIDGE_CONNECT_TIMEOUT_MS / 1000} s`;
    this.lastProblem = { code: 'PH_PORTAL_SILENT', message: `could not open a link to the portal: ${message}` };
    this.log.summarised('warning', `${this.options.tag} silent ${this.outage}`, message);
  }

  private newWorker(): void {
    try {
      this.workers.add(new BridgeWorker(this, this.options));
    } catch (error) {
      this.failures += 1;
      const code = (error as { code?: string } | undefined)?.code ?? 'error';
      this.log.summarised('warning', `${this.options.tag} open ${this.outage} ${code}`, `could not open a link to the portal (attempt ${this.failures}): ${formatErrorLine(error)}`);
      this.scheduleMonitor();
    }
  }

  /** @internal Porthole: a worker's link ended; redial now, or after a backoff if links keep failing. */
  workerClosed(worker: BridgeWorker, wasConfirmed: boolean, error: Error | undefined, wasDraining = false): void {
    this.workers.delete(worker);
    if (!this.running) return;
    if (wasDraining && !error) {
      // The portal asked for a fresh link and closed this one once its sessions ended: nothing lost.
      this.log.debug('a drained link closed');
      this.scheduleMonitor();
      return;
    }
    const code = (error as { code?: string } | undefined)?.code ?? 'PH_CLOSED';
    const reason = `${error ? formatErrorLine(error) : 'closed'}${code === 'PH_DIAL_REFUSED' ? ': is the portal running, on that address and port?' : ''}`;
    this.lastProblem = { code, message: wasConfirmed ? `link to the portal lost: ${reason}` : `could not open a link to the portal: ${reason}` };
    const tag = this.options.tag;
    if (wasConfirmed) {
      this.log.summarised('warning', `${tag} lost ${code}`, `link to the portal lost: ${reason}; reconnecting`);
      this.failures = 0;
      // A link that was up drops: redial at once. One that drops right after coming up, again and again, is backed off from.
      this.flaps = Date.now() - worker.openedAt < BRIDGE_STABLE_LINK_MS ? this.flaps + 1 : 0;
    } else {
      this.failures += 1;
      this.log.summarised('warning', `${tag} open ${this.outage} ${code}`, `could not open a link to the portal (attempt ${this.failures}): ${reason}`);
    }
    this.scheduleMonitor();
  }

  /** @internal Porthole: the portal drains a link; its replacement is opened now, not at the next tick. */
  workerDraining(): void {
    this.scheduleMonitor();
  }

  /** @internal */
  workerConfirmed(): void {
    if (this.failures > 0) this.log.summarised('info', `${this.options.tag} up`, `link to the portal is up again (after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'})`);
    this.lastProblem = null;
    this.failures = 0;
    this.outage += 1;
  }

  /** Porthole: runs the monitor again soon: at once after success, with capped backoff and jitter after failures and flaps. */
  private scheduleMonitor(): void {
    if (this.retry || !this.running) return;
    // Failed dials set the backoff; with none, links lost right after they came up do (a portal that keeps dropping them).
    const delay = bridgeRetryDelayMs(this.failures > 0 ? this.failures : this.flaps);
    this.retry = disposableTimeout(() => {
      this.retry = undefined;
      this.monitor();
    }, delay);
  }
}

/**
 * 4.34's `state` starts ACTIVE; Porthole's starts `connecting` and becomes `active` once the
 * portal has spoken, so a link to nowhere is never counted as up.
 */
type WorkerState = 'connecting' | 'active' | 'draining' | 'closed';

/** One link from the bridge to the portal. */
export class BridgeWorker {
  state: WorkerState = 'connecting';
  /** 4.34's `worker` (a `mux.ServerWorker`). */
  private readonly mux: MuxServer;
  /** Set once the portal has spoken on this link: proof it reached a live portal. */
  private confirmed = false;
  readonly openedAt = Date.now();

  constructor(private readonly bridge: Bridge, private readonly options: BridgeOptions) {
    const session = newSession({ inboundTag: options.tag, level: options.level ?? 0 });
    const target: Destination = { network: 'tcp', address: { kind: 'domain', value: options.domain }, port: 0 };
    const { inboundEnd, outboundEnd } = createLinkPair({ highWaterMark: options.streamBufferBytes });
    options.dispatcher.dispatch(session, target, outboundEnd);
    this.mux = new MuxServer(inboundEnd, { streamBufferBytes: options.streamBufferBytes, log: options.log }, (stream) => this.dispatch(stream));
    this.mux.onDidClose((error) => {
      const wasConfirmed = this.confirmed;
      const wasDraining = this.state === 'draining';
      this.state = 'closed';
      this.bridge.workerClosed(this, wasConfirmed, error, wasDraining);
    });
  }

  close(error?: Error): void {
    this.mux.close(error);
  }

  isActive(): boolean {
    return this.state === 'active' && !this.mux.closed;
  }

  /** The portal spoke on this link and it is still open (active or draining). */
  isConfirmedOpen(): boolean {
    return this.confirmed && !this.mux.closed;
  }

  /** Sessions on this link, control included (as 4.34 counts them). */
  get connections(): number {
    return this.mux.activeStreams;
  }

  /**
   * Porthole: the first word from the portal (a Control message or a session) proves the link
   * live. A session can come before the first heartbeat: the link is then active already, never
   * given up later as a handshake the portal did not answer.
   */
  private confirm(): void {
    if (this.state === 'connecting') this.state = 'active';
    if (this.confirmed) return;
    this.confirmed = true;
    this.bridge.workerConfirmed();
  }

  /**
   * Control messages set the state. 4.34's bridge never writes here; the extension, if any, gets
   * the session as a channel and writes only to a portal that offered.
   */
  private handleInternalConn(stream: MuxStream): void {
    const listeners = { control: [] as Array<(message: ControlMessage) => void>, retire: [] as Array<() => void> };
    let retired = false;
    const retire = () => {
      if (retired) return;
      retired = true;
      for (const listener of listeners.retire) listener();
    };
    const channel: BridgeControlChannel = {
      send: (bytes) => { if (!retired && !stream.destroyed && !stream.writableEnded) stream.write(bytes); },
      onControl: (listener) => { listeners.control.push(listener); },
      onDidRetire: (listener) => { listeners.retire.push(listener); },
    };
    this.options.extension?.linkAdded(channel);
    this.mux.onDidClose(retire);
    stream.on('data', (message: Buffer) => {
      let control: ControlMessage;
      try {
        control = decodeControl(message);
      } catch (error) {
        this.bridge.log.warning(`ignoring a control message that does not parse: ${formatErrorLine(error)}`);
        return;
      }
      for (const listener of listeners.control) listener(control);
      if (control.state === ControlState.Drain) {
        this.state = 'draining';
        retire();
        this.bridge.workerDraining();
      } else if (this.state === 'connecting') {
        this.state = 'active';
      }
      this.confirm();
    });
  }

  /** 4.34's `Dispatch`: the control session is read here; every other session is dispatched with the bridge's tag. */
  private dispatch(stream: MuxStream): void {
    if (stream.target.address.kind === 'domain' && stream.target.address.value === CONTROL_DOMAIN) {
      this.handleInternalConn(stream);
      return;
    }
    // A session can come before the first Control message: it proves the portal live just as well.
    this.confirm();
    const session = newSession({ inboundTag: this.options.tag, level: this.options.level ?? 0 });
    try {
      this.options.dispatcher.dispatch(session, stream.target, stream);
    } catch (error) {
      this.bridge.log.warning(`cannot carry ${formatDestination(stream.target)}: ${formatErrorLine(error)}`, session.id);
      stream.destroy();
    }
  }
}
