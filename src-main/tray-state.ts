/**
 * Engine snapshot → `TrayState` (what `tray-menu.ts` draws). Pure, no `electron` import: the tray
 * wiring calls it on every snapshot and redraws only when the menu it gives changes.
 */
import type { EngineSnapshot, ErrorEnvelope } from '../src-core/host/api/index.js';
import type { TrayExposure, TrayState } from './tray-menu.js';

/**
 * How long a running bridge may go without a confirmed link before the tray shows an error. A
 * fresh start needs a moment to dial (and a drop a moment to redial), and a red icon that
 * flashes on every start would teach people to ignore it.
 */
export const LINK_GRACE_MS = 10_000;

/** Code of the tray's own "no link to the portal" error (not an engine code: no call failed). */
export const LINK_DOWN_CODE = 'PH_LINK_DOWN';

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + (Number.isFinite(value) && value > 0 ? value : 0), 0);
}

/**
 * Which portal the status line names: the address the bridge dials when known (the wiring gets it
 * from `getServerSetup`), else "this machine" for a profile that is its own portal (the local
 * demo, the built-in portal), else nothing.
 */
export function portalLabel(snapshot: EngineSnapshot, serverAddress: string | null): string | null {
  if (serverAddress) return serverAddress;
  if (snapshot.exposures.some((exposure) => exposure.portalKind === 'local')) return 'this machine';
  if (snapshot.bridges.length > 0 && snapshot.portals.length > 0) return 'this machine';
  return null;
}

/** Links up now: the bridge's confirmed links when this is a bridge, else the portal's. */
function linkCount(snapshot: EngineSnapshot): number {
  if (snapshot.bridges.length > 0) return sum(snapshot.bridges.map((bridge) => bridge.activeLinks));
  return sum(snapshot.portals.map((portal) => portal.links));
}

/** Why the tray is red: the failed start, or a bridge that has had no link for longer than the grace. */
function trayError(snapshot: EngineSnapshot, portal: string | null): ErrorEnvelope | null {
  const { status } = snapshot;
  if (status.state === 'failed') return status.error ?? { code: 'PH_ENGINE_START_FAILED', message: 'the engine stopped' };
  if (status.state !== 'running' || snapshot.bridges.length === 0) return null;
  if (snapshot.bridges.some((bridge) => bridge.linkState === 'up')) return null;
  if (snapshot.time - status.since < LINK_GRACE_MS) return null;
  const reconnecting = snapshot.bridges.some((bridge) => bridge.linkState === 'connecting');
  const where = portal ?? 'the portal';
  return { code: LINK_DOWN_CODE, message: reconnecting ? `no link to ${where} yet, still trying` : `no link to ${where}, retrying (see Logs)` };
}

/** The exposures the tray lists: every one that is switched on (a disabled one has nothing to copy or stop). */
function trayExposures(snapshot: EngineSnapshot): TrayExposure[] {
  return snapshot.exposures
    .filter((exposure) => exposure.enabled && exposure.state !== 'disabled')
    .map((exposure) => ({
      id: exposure.id,
      name: exposure.name,
      localHost: exposure.localHost,
      localPort: exposure.localPort,
      // local-down: the public port is open (its address can be copied), the local service is not.
      publicAddress: exposure.state === 'live' || exposure.state === 'local-down' ? exposure.publicAddress : null,
      // Its name at the portal, once live there: what the tray shows and copies.
      ...((exposure.state === 'live' || exposure.state === 'local-down') && exposure.urls?.[0] ? { url: exposure.urls[0] } : {}),
      localDown: exposure.state === 'local-down',
    }));
}

/** The tray's view of `snapshot`; `serverAddress` is where the active profile's bridge dials, when known. */
export function trayStateOf(snapshot: EngineSnapshot, serverAddress: string | null): TrayState {
  const portal = portalLabel(snapshot, serverAddress);
  return {
    engine: snapshot.status.state,
    error: trayError(snapshot, portal),
    portal,
    links: linkCount(snapshot),
    openConnections: snapshot.totals.openConnections,
    upRate: snapshot.totals.upRate,
    downRate: snapshot.totals.downRate,
    paused: snapshot.exposuresPaused,
    exposures: trayExposures(snapshot),
  };
}
