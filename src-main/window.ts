/**
 * The Porthole window: one at a time, created on demand from the tray, locked down (Electron
 * security checklist items 3, 4, 7, 13, 14; style.md point 11): sandboxed renderer, no Node, the
 * CSP also sent as a header, no new windows (web links go to the browser instead), no navigation
 * away from our page, every permission request refused.
 */
import { BrowserWindow, session, shell } from 'electron';
import type { Session, WebContents } from 'electron';
import { isExternalLinkAllowed, RENDERER_CSP, secureWebPreferences } from './web-preferences.js';
import type { WindowPage } from './tray-actions.js';

export interface WindowOptions {
  /** dist/renderer/index.html */
  rendererIndex: string;
  /** dist/src-main/preload.cjs */
  preloadPath: string;
  /** The app icon (Linux shows it in the title bar and task switcher). */
  iconPath: string;
  /** Called when the window is closed; the app keeps running in the tray. */
  onClosed(): void;
}

/** Session-wide rules, set once: the CSP header and no permissions (camera, notifications, …). */
export function hardenSession(target: Session = session.defaultSession): void {
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
  });
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
}

function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isExternalLinkAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // Our page changes only its hash; anything else (a dropped file, a link without a target) is refused.
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Creates the window, shows it when the page has painted, and loads `page`. */
export function createMainWindow(options: WindowOptions, page: WindowPage): BrowserWindow {
  const window = new BrowserWindow({
    width: 1180,
    height: 780,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: 'Porthole',
    icon: options.iconPath,
    autoHideMenuBar: true,
    webPreferences: secureWebPreferences(options.preloadPath),
  });
  hardenContents(window.webContents);
  window.once('ready-to-show', () => window.show());
  window.on('closed', () => options.onClosed());
  void window.loadFile(options.rendererIndex, { hash: `/${page}` });
  return window;
}

/** Brings an existing window forward on `page` (a hash change: the page does not reload). */
export function showWindow(window: BrowserWindow, rendererIndex: string, page: WindowPage | undefined): void {
  if (page) void window.loadFile(rendererIndex, { hash: `/${page}` });
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
