/**
 * Which desktop notifications a new snapshot calls for (product.md, "Desktop app": an exposure is
 * live, with its public address; a link to the portal drops or comes back; an exposure's local
 * service stops answering, or answers again). Pure: the wiring keeps the `NotifierState` between
 * snapshots and shows the result with Electron's `Notification`.
 */
import type { EngineSnapshot, ExposureStatus } from '../src-core/host/api/index.js';

export interface AppNotification {
  /** Stable per subject, so the wiring can replace an older notice about the same thing. */
  id: string;
  title: string;
  body: string;
}

/** What the notifier remembers between snapshots. */
export interface NotifierState {
  /** The snapshot before this one; undefined until the first arrives. */
  previous: EngineSnapshot | undefined;
  /** Bridge tags whose link dropped while running and has not come back yet. */
  dropped: readonly string[];
  /** Exposure ids announced as "nothing answers locally" and not announced as back yet. */
  localDown: readonly string[];
  /** Exposure id → snapshot time of its last "nothing answers locally" notice (the rate limit). */
  localDownNoticeAt: Readonly<Record<string, number>>;
}

export const INITIAL_NOTIFIER_STATE: NotifierState = { previous: undefined, dropped: [], localDown: [], localDownNoticeAt: {} };

/**
 * At most one "nothing answers locally" notice per exposure in this long. A dev server that
 * restarts on every save flips its exposure between live and local-down each time; one notice
 * says it, a stream of them teaches people to switch notifications off.
 */
export const LOCAL_DOWN_NOTICE_INTERVAL_MS = 10 * 60_000;

function liveAddresses(snapshot: EngineSnapshot | undefined): Map<string, string> {
  const live = new Map<string, string>();
  for (const exposure of snapshot?.exposures ?? []) {
    if (exposure.state === 'live' && exposure.publicAddress) live.set(exposure.id, exposure.publicAddress);
  }
  return live;
}

function exposureName(exposure: ExposureStatus): string {
  const local = `${exposure.localHost}:${exposure.localPort}`;
  return exposure.name && exposure.name !== local ? `${exposure.name} (${local})` : local;
}

function stateById(snapshot: EngineSnapshot): Map<string, ExposureStatus> {
  return new Map(snapshot.exposures.map((exposure) => [exposure.id, exposure]));
}

/**
 * Live ↔ local-down: a notice when a live exposure's local service stops answering (rate limited
 * per exposure), and one when it answers again, only after a notice said it had stopped. A stopped
 * engine or an exposure switched off or removed ends the trouble quietly: the user did that.
 */
function localServiceNotices(state: NotifierState, previous: EngineSnapshot, next: EngineSnapshot): { localDown: string[]; noticeAt: Record<string, number>; notifications: AppNotification[] } {
  const before = stateById(previous);
  const announced = new Set(state.localDown);
  const noticeAt: Record<string, number> = {};
  const notifications: AppNotification[] = [];
  for (const exposure of next.exposures) {
    const last = state.localDownNoticeAt[exposure.id];
    if (last !== undefined && next.time - last < LOCAL_DOWN_NOTICE_INTERVAL_MS) noticeAt[exposure.id] = last;
    const was = before.get(exposure.id)?.state;
    if (was === 'live' && exposure.state === 'local-down' && noticeAt[exposure.id] === undefined) {
      announced.add(exposure.id);
      noticeAt[exposure.id] = next.time;
      const address = exposure.publicAddress ? ` ${exposure.publicAddress}` : '';
      notifications.push({
        id: `exposure:${exposure.id}`,
        title: `Nothing answers on ${exposure.localHost}:${exposure.localPort}`,
        body: `${exposureName(exposure)}: its public address${address} is open, but visitors get no answer. Start the service on port ${exposure.localPort}.`,
      });
    } else if (announced.has(exposure.id) && exposure.state === 'live') {
      announced.delete(exposure.id);
      notifications.push({ id: `exposure:${exposure.id}`, title: `${exposureName(exposure)} answers again`, body: `Public address: ${exposure.publicAddress ?? ''}` });
    } else if (exposure.state === 'disabled' || next.status.state !== 'running') {
      announced.delete(exposure.id);
    }
  }
  const present = new Set(next.exposures.map((exposure) => exposure.id));
  return { localDown: [...announced].filter((id) => present.has(id)), noticeAt, notifications };
}

function upBridges(snapshot: EngineSnapshot): Set<string> {
  return new Set(snapshot.bridges.filter((bridge) => bridge.linkState === 'up').map((bridge) => bridge.tag));
}

/**
 * The notifications between `state.previous` and `next`, and the state to keep. The first snapshot
 * only sets the baseline (what was already live when the app started is no news). A link that
 * goes away because the engine stops is not a drop: the user asked for it.
 */
export function nextNotifications(state: NotifierState, next: EngineSnapshot): { state: NotifierState; notifications: AppNotification[] } {
  const previous = state.previous;
  if (!previous) return { state: { ...INITIAL_NOTIFIER_STATE, previous: next }, notifications: [] };
  const notifications: AppNotification[] = [];

  const local = localServiceNotices(state, previous, next);
  const wasLive = liveAddresses(previous);
  const before = stateById(previous);
  for (const exposure of next.exposures) {
    if (exposure.state !== 'live' || !exposure.publicAddress) continue;
    if (wasLive.get(exposure.id) === exposure.publicAddress) continue;
    // Back from local-down at the same address: not news of a new address ("answers again" covers it).
    const was = before.get(exposure.id);
    if (was?.state === 'local-down' && was.publicAddress === exposure.publicAddress) continue;
    notifications.push({ id: `exposure:${exposure.id}`, title: `${exposureName(exposure)} is live`, body: `Public address: ${exposure.publicAddress}` });
  }
  notifications.push(...local.notifications);

  const dropped = new Set(state.dropped);
  const running = next.status.state === 'running';
  if (!running) dropped.clear();
  const wasUp = upBridges(previous);
  const isUp = upBridges(next);
  for (const bridge of next.bridges) {
    if (!running) break;
    if (wasUp.has(bridge.tag) && !isUp.has(bridge.tag)) {
      dropped.add(bridge.tag);
      notifications.push({ id: `link:${bridge.tag}`, title: 'Link to the portal dropped', body: `Bridge "${bridge.tag}" lost its link; Porthole keeps retrying. Exposures are unreachable until it is back.` });
    } else if (dropped.has(bridge.tag) && isUp.has(bridge.tag)) {
      dropped.delete(bridge.tag);
      notifications.push({ id: `link:${bridge.tag}`, title: 'Link to the portal is back', body: `Bridge "${bridge.tag}" is linked again; exposures are reachable.` });
    }
  }

  if (next.status.state === 'failed' && previous.status.state !== 'failed') {
    notifications.push({ id: 'engine', title: 'Porthole stopped', body: next.status.error?.message ?? 'the engine could not start' });
  }
  return { state: { previous: next, dropped: [...dropped], localDown: local.localDown, localDownNoticeAt: local.noticeAt }, notifications };
}
