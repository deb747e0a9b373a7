/**
 * The bridge (V2Ray's `app/reverse/bridge.go`, wire doc §5.1 and §5.3): it opens links to the
 * portal by dispatching `tcp:<domain>:0` with the bridge's tag as inbound tag (routing picks the
 * VMess outbound), serves Mux on each link, and dispatches every session that comes out of it,
 * again with the bridge's tag. The portal's control messages say whether a link is ACTIVE or
 * DRAINing; the monitor keeps at least one ACTIVE link and adds one when links get crowded.
 *
 * Better than 4.34: a lost link is redialled at once, not at the next 2-second tick, with capped
 * exponential backoff and jitter while the portal stays unreachable (or keeps dropping links as
 * soon as they are up). Failures are logged in full the first few times, then summarised (issue
 * "Survival II", defect 7: a bridge whose portal was down wrote two lines a second).
 */
import { PortholeError, formatErrorLine } from '../../common/errors.js';
import { disposableInterval, disposableTimeout, type Disposable, type Runnable } from '../../common/disposable.js';
import { formatDestination, type Destination } from '../../common/net.js';
import { newSession } from '../../common/session.js';
import { CONTROL_DOMAIN } from '../../common/mux/consts.js';
import { MuxServer } from '../../common/mux/server.js';
import type { MuxStream } from '../../common/mux/session.js';
import type { Dispatcher } from '../../features/dispatcher.js';
import type { ComponentLogger } from '../../features/log.js';
import { DEFAULT_FLOW_WINDOW } from '../../common/mux/flow.js';
import { ControlState, decodeControl } from './control.js';
import { exposureTag } from '../exposures/tag.js';
import type { ExposureAgent, ExposureLink } from './exposure-agent.js';
import { decodeExposureReply } from './exposure-wire.js';

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
/** A link the portal has not spoken on within this time is given up (and counts as a failure). */
export const BRIDGE_CONNECT_TIMEOUT_MS = 10_000;

export interface BridgeOptions {
  tag: string;
  domain: string;
  dispatcher: Dispatcher;
  log: ComponentLogger;
  streamBufferBytes: number;
  level?: number;
  /** The user's exposures, when this bridge carries them (the first bridge of the config). */
  exposures?: ExposureAgent;
}

type WorkerState = 'connecting' | 'active' | 'draining' | 'closed';

/** How long to wait before the next dial after `failures` failures in a row: none after none, else capped exponential with jitter (half to all of it). */
export function bridgeRetryDelayMs(failures: number, random: () => number = Math.random): number {
  if (failures <= 0) return 0;
  const backoff = Math.min(BRIDGE_BACKOFF_MAX_MS, BRIDGE_BACKOFF_MIN_MS * 2 ** Math.min(failures - 1, 30));
  return backoff / 2 + random() * (backoff / 2);
}

/** One link from the bridge to the portal. */
class BridgeWorker {
  state: WorkerState = 'connecting';
  readonly mux: MuxServer;
  /** Set once the portal has spoken on this link: proof it reached a live portal. */
  confirmed = false;
  readonly openedAt = Date.now();
  /** Set once a Control message arrived (the first one says whether the portal takes exposures). */
  private heardControl = false;
  /** How the exposure agent writes on this link's control session, once the portal offered exposures. */
  private exposureLink: ExposureLink | undefined;

  constructor(private readonly bridge: Bridge, options: BridgeOptions) {
    const session = newSession({ inboundTag: options.tag, level: options.level ?? 0 });
    const target: Destination = { network: 'tcp', address: { kind: 'domain', value: options.domain }, port: 0 };
    const link = options.dispatcher.dispatch(session, target);
    this.mux = new MuxServer(link, { streamBufferBytes: options.streamBufferBytes, log: options.log }, (stream) => this.accept(stream));
    this.mux.onDidClose((error) => {
      const wasConfirmed = this.confirmed;
      const wasDraining = this.state === 'draining';
      this.state = 'closed';
      if (this.exposureLink) options.exposures?.linkGone(this.exposureLink);
      this.bridge.workerClosed(this, wasConfirmed, error, wasDraining);
    });
  }

  /** Sessions on this link, control included (as 4.34 counts them). */
  get sessions(): number {
    return this.mux.activeStreams;
  }

  private accept(stream: MuxStream): void {
    if (stream.target.address.kind === 'domain' && stream.target.address.value === CONTROL_DOMAIN) {
      this.watchControl(stream);
      return;
    }
    // A session can come before the first Control message: it proves the portal live just as well.
    const wasConfirmed = this.confirmed;
    this.confirmed = true;
    if (!wasConfirmed) this.bridge.workerConfirmed();
    this.bridge.carry(stream);
  }

  /**
   * Control messages set the state. The bridge writes on this session only to a portal that
   * offered exposures (a Porthole portal); 4.34's bridge never writes here.
   */
  private watchControl(stream: MuxStream): void {
    const exposures = this.bridge.exposures;
    stream.on('data', (message: Buffer) => {
      try {
        const control = decodeControl(message);
        // A Porthole portal offers flow control; answering turns it on for this link.
        if (control.flowWindow) this.mux.enableFlowControl({ sendWindow: control.flowWindow, receiveWindow: DEFAULT_FLOW_WINDOW }, true);
        if (exposures && !this.heardControl) {
          if (control.exposureOffer) {
            this.exposureLink = { send: (bytes) => { if (!stream.destroyed && !stream.writableEnded) stream.write(bytes); } };
            exposures.linkOffered(this.exposureLink);
          } else {
            exposures.linkWithoutOffer();
          }
        }
        this.heardControl = true;
        for (const reply of control.exposureReplies ?? []) exposures?.reply(decodeExposureReply(reply));
        const wasConfirmed = this.confirmed;
        this.confirmed = true;
        if (control.state === ControlState.Drain) {
          this.state = 'draining';
          if (this.exposureLink) exposures?.linkGone(this.exposureLink);
          this.bridge.workerDraining();
        } else if (this.state === 'connecting') {
          this.state = 'active';
        }
        if (!wasConfirmed) this.bridge.workerConfirmed();
      } catch (error) {
        this.bridge.log.warning(`ignoring a control message that does not parse: ${formatErrorLine(error)}`);
      }
    });
  }
}

export class Bridge implements Runnable {
  readonly log: ComponentLogger;
  private readonly workers = new Set<BridgeWorker>();
  private monitor: Disposable | undefined;
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

  /** The exposure agent this bridge serves, if any. */
  get exposures(): ExposureAgent | undefined {
    return this.options.exposures;
  }

  async start(): Promise<void> {
    this.running = true;
    this.check();
    this.monitor = disposableInterval(() => this.check(), BRIDGE_MONITOR_MS);
  }

  async close(): Promise<void> {
    this.running = false;
    this.monitor?.dispose();
    this.retry?.dispose();
    for (const worker of [...this.workers]) worker.mux.close();
    this.workers.clear();
  }

  /** Links that carry traffic now (for the UI and tests). */
  get activeLinks(): number {
    return [...this.workers].filter((worker) => worker.state === 'active').length;
  }

  /** Dispatches one session that came out of the tunnel, as traffic from the bridge's tag. */
  carry(stream: MuxStream): void {
    // An exposure's traffic goes to its own outbound (its counters are the exposure's traffic);
    // everything else, and a switched-off exposure's address, is routed as V2Ray would.
    const match = this.options.exposures?.match(stream.target);
    const exposure = match?.enabled ? match : undefined;
    const session = newSession({
      inboundTag: this.options.tag,
      level: this.options.level ?? 0,
      ...(exposure ? { outboundTag: exposureTag(exposure.id) } : {}),
    });
    try {
      this.options.dispatcher.dispatchLink(session, stream.target, stream);
    } catch (error) {
      this.log.warning(`cannot carry ${formatDestination(stream.target)}: ${formatErrorLine(error)}`, session.id);
      stream.destroy();
    }
  }

  /** @internal */
  workerClosed(worker: BridgeWorker, wasConfirmed: boolean, error: Error | undefined, wasDraining = false): void {
    this.workers.delete(worker);
    if (!this.running) return;
    if (wasDraining && !error) {
      // The portal asked for a fresh link and closed this one once its sessions ended: nothing lost.
      this.log.debug('a drained link closed');
      this.scheduleCheck();
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
    this.scheduleCheck();
  }

  /** @internal */
  workerDraining(): void {
    this.scheduleCheck();
  }

  /** @internal */
  workerConfirmed(): void {
    if (this.failures > 0) this.log.summarised('info', `${this.options.tag} up`, `link to the portal is up again (after ${this.failures} failed attempt${this.failures === 1 ? '' : 's'})`);
    this.lastProblem = null;
    this.failures = 0;
    this.outage += 1;
  }

  /** Runs the monitor again soon: at once after success, with capped backoff and jitter after failures and flaps. */
  private scheduleCheck(): void {
    if (this.retry || !this.running) return;
    // Failed dials set the backoff; with none, links lost right after they came up do (a portal that keeps dropping them).
    const delay = bridgeRetryDelayMs(this.failures > 0 ? this.failures : this.flaps);
    this.retry = disposableTimeout(() => {
      this.retry = undefined;
      this.check();
    }, delay);
  }

  /**
   * 4.34's rule: forget workers that are not active; open one when none is active (or connecting)
   * or when the average sessions per active link exceeds 16.
   */
  private check(): void {
    if (!this.running) return;
    for (const worker of this.workers) {
      if (worker.state === 'connecting' && Date.now() - worker.openedAt > BRIDGE_CONNECT_TIMEOUT_MS) {
        // A VMess server says nothing to a request it cannot authenticate: silence means a wrong
        // user ID (UUID), a clock more than 120 s off, or a portal with another domain.
        worker.mux.close(new PortholeError('PH_VMESS_AUTH_FAILED', `the portal did not answer within ${BRIDGE_CONNECT_TIMEOUT_MS / 1000} s: authentication rejected? (check the user ID, the clock, and that the domain matches the portal's)`));
      }
    }
    // While a backoff wait runs, the monitor's tick must not dial past it (it did: one dial per 2 s at least).
    if (this.retry) return;
    const live = [...this.workers].filter((worker) => worker.state === 'active' || worker.state === 'connecting');
    if (live.some((worker) => worker.state === 'connecting')) return;
    const sessions = live.reduce((sum, worker) => sum + worker.sessions, 0);
    if (live.length === 0 || Math.floor(sessions / live.length) > BRIDGE_SESSIONS_PER_LINK) this.openWorker();
  }

  private openWorker(): void {
    try {
      this.workers.add(new BridgeWorker(this, this.options));
    } catch (error) {
      this.failures += 1;
      const code = (error as { code?: string } | undefined)?.code ?? 'error';
      this.log.summarised('warning', `${this.options.tag} open ${this.outage} ${code}`, `could not open a link to the portal (attempt ${this.failures}): ${formatErrorLine(error)}`);
      this.scheduleCheck();
    }
  }
}
