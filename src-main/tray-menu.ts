/**
 * The tray (product.md, "Desktop app"): engine state → menu template, icon state and tooltip.
 * Pure data, no `electron` import, so it is unit-tested in Node. Items carry an `action` instead of
 * a click closure; the Electron wiring maps actions to handlers (`withClickHandlers`) and hands the
 * result to `Menu.buildFromTemplate`.
 */
import type { EngineState, ErrorEnvelope } from '../src-core/host/api/index.js';

/** An exposure as the tray shows it. */
export interface TrayExposure {
  id: string;
  name: string;
  localHost: string;
  localPort: number;
  /** `host:port` on the portal once the exposure is live; null while it is being set up. */
  publicAddress: string | null;
  /** Its name at the portal (`https://web.tunnel.example.com`) once live there: shown and copied instead of `publicAddress`. */
  url?: string | null;
  /**
   * The public port listens but nothing answers at `localHost:localPort` (the service's
   * `local-down`): visitors get no answer, so the tray must not look all green.
   */
  localDown: boolean;
}

/** What the tray needs to know about the engine (built from the latest snapshot and settings). */
export interface TrayState {
  engine: EngineState;
  /** Why the engine failed, or why the link to the portal is down. */
  error: ErrorEnvelope | null;
  /** Which portal the bridge links to (`vps.example.com:443`), null when none is configured. */
  portal: string | null;
  /** Links to the portal open now. */
  links: number;
  /** User connections open now. */
  openConnections: number;
  /** Bytes per second, totals over user connections. */
  upRate: number;
  downRate: number;
  /** "Pause all" was chosen: exposures are stopped until "Resume". */
  paused: boolean;
  exposures: TrayExposure[];
}

/** What a menu item does when clicked. */
export type TrayAction =
  | { kind: 'expose-port'; host: string; port: number }
  | { kind: 'expose-port-dialog' }
  | { kind: 'copy-public-address'; id: string }
  | { kind: 'stop-exposure'; id: string }
  | { kind: 'inspect-exposure'; id: string }
  | { kind: 'open-window' }
  | { kind: 'open-remote-setup' }
  | { kind: 'import-config' }
  | { kind: 'join-from-clipboard' }
  | { kind: 'pause-all' }
  | { kind: 'resume' }
  | { kind: 'quit' };

/** The subset of Electron's `MenuItemConstructorOptions` the tray uses, with `action` instead of `click`. */
export interface MenuItemTemplate {
  type?: 'normal' | 'separator' | 'submenu';
  /** Stable id (Electron's `id`), handy for tests and for `Menu.getMenuItemById`. */
  id?: string;
  label?: string;
  enabled?: boolean;
  toolTip?: string;
  role?: 'quit';
  submenu?: MenuItemTemplate[];
  action?: TrayAction;
}

/** Electron's menu item shape once actions are bound to handlers. */
export interface BoundMenuItem extends Omit<MenuItemTemplate, 'submenu' | 'action'> {
  submenu?: BoundMenuItem[];
  click?: () => void;
}

export type TrayIconState = 'idle' | 'active' | 'error';

/** The one-click exposure (product.md, "One click, really"). */
export const ONE_CLICK_HOST = 'localhost';
export const ONE_CLICK_PORT = 80;

/** Windows truncates tray tooltips at 127 characters; keep ours within that everywhere. */
export const TOOLTIP_MAX = 127;

const SEPARATOR: MenuItemTemplate = { type: 'separator' };

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

function cleanCount(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

/** `1536` → `'1.5 KB/s'`; 1024-based, one decimal below 10, none above. Bad input counts as 0. */
export function formatRate(bytesPerSecond: number): string {
  let value = Number.isFinite(bytesPerSecond) && bytesPerSecond > 0 ? bytesPerSecond : 0;
  const units = ['B/s', 'KB/s', 'MB/s', 'GB/s', 'TB/s'];
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  let text = value.toFixed(digits);
  // 1023.96 KB/s would print as "1024 KB/s": step up instead.
  if (Number(text) >= 1024 && unit < units.length - 1) {
    unit += 1;
    text = (value / 1024).toFixed(1);
  }
  return `${text} ${units[unit]}`;
}

function isErrorState(state: TrayState): boolean {
  return state.engine === 'failed' || state.error !== null;
}

function localAddress(exposure: Pick<TrayExposure, 'localHost' | 'localPort'>): string {
  const host = exposure.localHost.includes(':') && !exposure.localHost.startsWith('[') ? `[${exposure.localHost}]` : exposure.localHost;
  return `${host}:${exposure.localPort}`;
}

/**
 * The problem short of an error: exposures whose public address is open but whose local service
 * does not answer (the dashboard's "Nothing answers on …" banner). Null when there is none, or
 * when an engine or link error already says more.
 */
export function trayProblemLine(state: TrayState): string | null {
  if (isErrorState(state) || state.engine !== 'running' || state.paused) return null;
  const down = state.exposures.filter((exposure) => exposure.localDown);
  const first = down[0];
  if (!first) return null;
  if (down.length > 1) return `Nothing answers locally for ${down.length} exposures`;
  const local = localAddress(first);
  const name = first.name.trim() === '' || first.name === local || first.name === `${first.localHost}:${first.localPort}` ? '' : ` (${first.name})`;
  return `Nothing answers on ${local}${name}`;
}

/**
 * The icon: error when the engine failed, the portal is unreachable or an exposure's local service
 * does not answer (a public address that gives visitors nothing is not "fine"); active while links
 * carry traffic.
 */
export function trayIconState(state: TrayState): TrayIconState {
  if (isErrorState(state) || trayProblemLine(state) !== null) return 'error';
  if (state.engine === 'running' && !state.paused && cleanCount(state.links) > 0) return 'active';
  return 'idle';
}

/** The first, disabled line of the menu. */
export function trayStatusLine(state: TrayState): string {
  if (isErrorState(state)) return `Error: ${state.error?.message ?? 'the engine stopped'}`;
  switch (state.engine) {
    case 'stopped':
      return 'Not running';
    case 'starting':
      return state.portal ? `Connecting to ${state.portal}…` : 'Starting…';
    case 'stopping':
      return 'Stopping…';
    case 'failed': // handled above; kept for exhaustiveness
    case 'running': {
      const where = state.portal ? `Portal ${state.portal}` : 'Running';
      const counts = `${plural(cleanCount(state.links), 'link', 'links')}, ${plural(cleanCount(state.openConnections), 'connection', 'connections')}`;
      return `${state.paused ? 'Paused · ' : ''}${where} · ${counts}`;
    }
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** The tooltip: the error or problem when there is one, else live rates while running, else the status. */
export function trayTooltip(state: TrayState): string {
  const problem = trayProblemLine(state);
  let detail: string;
  if (isErrorState(state)) detail = trayStatusLine(state);
  else if (problem) detail = `${problem.charAt(0).toLowerCase()}${problem.slice(1)}`;
  else if (state.engine === 'running' && state.paused) detail = 'paused';
  else if (state.engine === 'running') detail = `↑ ${formatRate(state.upRate)}  ↓ ${formatRate(state.downRate)}`;
  else detail = trayStatusLine(state).toLowerCase();
  return truncate(`Porthole — ${detail}`, TOOLTIP_MAX);
}

function exposureLabel(exposure: TrayExposure): string {
  const local = `${exposure.localHost}:${exposure.localPort}`;
  const name = exposure.name.trim() === '' || exposure.name === local ? local : `${exposure.name} (${local})`;
  if (!exposure.publicAddress) return `${name} (setting up…)`;
  return `${name} → ${trayCopyText(exposure)}${exposure.localDown ? ' · nothing answers locally' : ''}`;
}

/** What Copy gives: the URL when the portal gave the exposure a name, else `host:port`. */
export function trayCopyText(exposure: Pick<TrayExposure, 'publicAddress' | 'url'>): string | null {
  return exposure.url ?? exposure.publicAddress;
}

function exposureItem(exposure: TrayExposure): MenuItemTemplate {
  return {
    type: 'submenu',
    id: `exposure:${exposure.id}`,
    label: exposureLabel(exposure),
    submenu: [
      {
        id: `exposure:${exposure.id}:copy`,
        label: exposure.url ? 'Copy URL' : 'Copy public address',
        enabled: exposure.publicAddress !== null,
        action: { kind: 'copy-public-address', id: exposure.id },
      },
      { id: `exposure:${exposure.id}:inspect`, label: 'Inspect…', action: { kind: 'inspect-exposure', id: exposure.id } },
      { id: `exposure:${exposure.id}:stop`, label: 'Stop', action: { kind: 'stop-exposure', id: exposure.id } },
    ],
  };
}

function isOneClickExposure(exposure: TrayExposure): boolean {
  return exposure.localPort === ONE_CLICK_PORT && ['localhost', '127.0.0.1', '::1', '[::1]'].includes(exposure.localHost.toLowerCase());
}

/** The tray menu for `state`, top to bottom. */
export function buildTrayMenu(state: TrayState): MenuItemTemplate[] {
  const canExpose = state.engine !== 'stopping' && !state.paused;
  const alreadyOneClick = state.exposures.some(isOneClickExposure);
  const problem = trayProblemLine(state);
  const menu: MenuItemTemplate[] = [
    { id: 'status', label: truncate(trayStatusLine(state), 100), enabled: false },
    ...(problem ? [{ id: 'problem', label: truncate(`Problem: ${problem}`, 100), enabled: false }] : []),
    SEPARATOR,
    {
      id: 'expose-one-click',
      label: `Expose ${ONE_CLICK_HOST}:${ONE_CLICK_PORT}`,
      enabled: canExpose && !alreadyOneClick,
      action: { kind: 'expose-port', host: ONE_CLICK_HOST, port: ONE_CLICK_PORT },
    },
    { id: 'expose-dialog', label: 'Expose a port…', enabled: canExpose, action: { kind: 'expose-port-dialog' } },
  ];
  if (state.exposures.length > 0) {
    menu.push(SEPARATOR, ...state.exposures.map(exposureItem));
  }
  menu.push(
    SEPARATOR,
    { id: 'open-window', label: 'Open Porthole', action: { kind: 'open-window' } },
    { id: 'remote-setup', label: 'Set up my server…', action: { kind: 'open-remote-setup' } },
    { id: 'import-config', label: 'Import V2Ray config…', action: { kind: 'import-config' } },
    { id: 'join-from-clipboard', label: 'Join from clipboard', toolTip: 'A porthole:// invite, a vmess:// or vless:// link, or a picture of an invite\'s QR code', action: { kind: 'join-from-clipboard' } },
    SEPARATOR,
    state.paused
      ? { id: 'resume', label: 'Resume', action: { kind: 'resume' } }
      : { id: 'pause-all', label: 'Pause all', enabled: state.engine === 'running' || state.engine === 'starting', action: { kind: 'pause-all' } },
    { id: 'quit', label: 'Quit', action: { kind: 'quit' } },
  );
  return menu;
}

/**
 * Binds each item's action to `dispatch` (the Electron wiring passes the result to
 * `Menu.buildFromTemplate`). Items without an action get no click handler.
 */
export function withClickHandlers(template: readonly MenuItemTemplate[], dispatch: (action: TrayAction) => void): BoundMenuItem[] {
  return template.map(({ action, submenu, ...rest }) => {
    const bound: BoundMenuItem = { ...rest };
    if (submenu) bound.submenu = withClickHandlers(submenu, dispatch);
    if (action) bound.click = () => dispatch(action);
    return bound;
  });
}
