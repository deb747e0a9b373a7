/**
 * The Porthole window: one at a time, created on demand from the tray, locked down (Electron
 * security checklist items 3, 4, 7, 13, 14, 18; style.md point 11): the page comes from
 * `app://porthole/` (never file://), sandboxed renderer, no Node, the CSP also sent as a header,
 * no new windows (web links go to the browser instead), no navigation off our origin, every
 * permission request refused.
 */
import { BrowserWindow, protocol, session, shell } from 'electron';
import type { Session, WebContents } from 'electron';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, appPageUrl, isAppUrl } from './app-protocol.js';
import { createRendererFileHandler } from './renderer-files.js';
import { isExternalLinkAllowed, RENDERER_CSP, secureWebPreferences } from './web-preferences.js';
import type { WindowPage } from './tray-actions.js';

export interface WindowOptions {
  /** dist/src-main/preload.cjs */
  preloadPath: string;
  /** The app icon (Linux shows it in the title bar and task switcher). */
  iconPath: string;
  /** Called when the window is closed; the app keeps running in the tray. */
  onClosed(): void;
}

/** Makes `app:` a standard, secure scheme. Electron takes this only before `ready`, and only once. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { ...APP_SCHEME_PRIVILEGES } }]);
}

/**
 * Session-wide rules, set once after `ready`: `app://porthole/` serves `rendererFolder` (and
 * nothing else), the CSP header, no permissions (camera, notifications, …).
 */
export function hardenSession(rendererFolder: string, target: Session = session.defaultSession): void {
  target.protocol.handle(APP_SCHEME, createRendererFileHandler(rendererFolder));
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [RENDERER_CSP] } });
  });
  target.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
}

function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    // Only our own page may hand a link to the browser; whatever it asks, no window opens here.
    if (isAppUrl(contents.getURL()) && isExternalLinkAllowed(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  // Our page changes only its hash (no event); a dropped file, a link without a target or a
  // redirect to anything but app://porthole/ is refused, in any frame.
  const offOrigin = (event: { url: string; preventDefault(): void }): void => {
    if (!isAppUrl(event.url)) event.preventDefault();
  };
  contents.on('will-navigate', offOrigin);
  contents.on('will-frame-navigate', offOrigin);
  contents.on('will-redirect', offOrigin);
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
  void window.loadURL(appPageUrl(page));
  return window;
}

/** Brings an existing window forward on `page` (a hash change: the page does not reload). */
export function showWindow(window: BrowserWindow, page: WindowPage | undefined): void {
  if (page) void window.loadURL(appPageUrl(page));
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}
