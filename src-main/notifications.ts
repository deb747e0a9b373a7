/**
 * Which desktop notifications a new snapshot calls for (product.md, "Desktop app": an exposure is
 * live, with its public address; a link to the portal drops or comes back). Pure: the wiring keeps
 * the `NotifierState` between snapshots and shows the result with Electron's `Notification`.
 */
import type { EngineSnapshot } from '../src-core/host/api/index.js';

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
}

export const INITIAL_NOTIFIER_STATE: NotifierState = { previous: undefined, dropped: [] };

function liveAddresses(snapshot: EngineSnapshot | undefined): Map<string, string> {
  const live = new Map<string, string>();
  for (const exposure of snapshot?.exposures ?? []) {
    if (exposure.state === 'live' && exposure.publicAddress) live.set(exposure.id, exposure.publicAddress);
  }
  return live;
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
  if (!previous) return { state: { previous: next, dropped: [] }, notifications: [] };
  const notifications: AppNotification[] = [];

  const wasLive = liveAddresses(previous);
  for (const exposure of next.exposures) {
    if (exposure.state !== 'live' || !exposure.publicAddress) continue;
    if (wasLive.get(exposure.id) === exposure.publicAddress) continue;
    const local = `${exposure.localHost}:${exposure.localPort}`;
    const name = exposure.name && exposure.name !== local ? `${exposure.name} (${local})` : local;
    notifications.push({ id: `exposure:${exposure.id}`, title: `${name} is live`, body: `Public address: ${exposure.publicAddress}` });
  }

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
  return { state: { previous: next, dropped: [...dropped] }, notifications };
}
