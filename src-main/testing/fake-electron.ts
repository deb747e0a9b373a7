/**
 * The few Electron main-process APIs `main.ts` uses, as plain objects that record what happens,
 * for `main.test.ts` (the Electron binary cannot run in CI). Each member mirrors only the part of
 * Electron's API that the app calls; anything else is missing on purpose, so a new use shows up
 * as a failing test rather than a silent no-op.
 */
import { EventEmitter } from 'node:events';

interface FakeState {
  userData: string;
  windows: FakeBrowserWindow[];
  trays: FakeTray[];
  notifications: { title: string; body: string }[];
  clipboard: string;
  exitCode: number | undefined;
  headersHandler?: (details: { responseHeaders?: Record<string, string[]> }, callback: (response: { responseHeaders: Record<string, string[]> }) => void) => void;
  permissionHandler?: (contents: unknown, permission: string, callback: (granted: boolean) => void) => void;
  loginItem?: unknown;
  openedExternally: string[];
  /** Schemes registered as privileged, and whether that happened before `ready` (Electron requires it). */
  privilegedSchemes: { scheme: string; privileges: Record<string, boolean>; beforeReady: boolean }[];
  protocolHandlers: Map<string, (request: Request) => Response | Promise<Response>>;
}

export const fake: FakeState = {
  userData: '', windows: [], trays: [], notifications: [], clipboard: '', exitCode: undefined, openedExternally: [], privilegedSchemes: [], protocolHandlers: new Map(),
};

let isReady = false;
let markReady: () => void = () => {};
const ready = new Promise<void>((resolve) => { markReady = resolve; });
/** Lets the test set `fake.userData` before the app reaches `whenReady`. */
export function becomeReady(): void {
  isReady = true;
  markReady();
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  requestSingleInstanceLock(): boolean { return true; }
  setAppUserModelId(): void {}
  whenReady(): Promise<void> { return ready; }
  getPath(name: string): string {
    if (name !== 'userData') throw new Error(`fake app.getPath(${name})`);
    return fake.userData;
  }
  getAppPath(): string { return '/opt/Porthole/resources/app.asar'; }
  setLoginItemSettings(settings: unknown): void { fake.loginItem = settings; }
  getLoginItemSettings(): { wasOpenedAtLogin: boolean } { return { wasOpenedAtLogin: false }; }
  quit(): void {
    const event = { defaultPrevented: false, preventDefault() { this.defaultPrevented = true; } };
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.exit(0);
  }
  exit(code: number): void { fake.exitCode = code; }
}
export const app = new FakeApp();

let nextContentsId = 1;
class FakeWebContents extends EventEmitter {
  readonly id = nextContentsId++;
  readonly sent: unknown[][] = [];
  openHandler?: (details: { url: string }) => { action: string };
  url = '';
  send(...args: unknown[]): void { this.sent.push(args); }
  getURL(): string { return this.url; }
  isDestroyed(): boolean { return false; }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void { this.openHandler = handler; }
}

export class FakeBrowserWindow extends EventEmitter {
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  shown = 0;
  constructor(readonly options: { webPreferences: Record<string, unknown> }) {
    super();
    fake.windows.push(this);
    setImmediate(() => this.emit('ready-to-show'));
  }
  loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.webContents.url = url;
    return Promise.resolve();
  }
  show(): void { this.shown += 1; }
  focus(): void {}
  isMinimized(): boolean { return false; }
  restore(): void {}
  isDestroyed(): boolean { return false; }
}
export { FakeBrowserWindow as BrowserWindow };

export const protocol = {
  registerSchemesAsPrivileged(schemes: { scheme: string; privileges: Record<string, boolean> }[]): void {
    for (const entry of schemes) fake.privilegedSchemes.push({ ...entry, beforeReady: !isReady });
  },
};

export const session = {
  defaultSession: {
    protocol: { handle: (scheme: string, handler: (request: Request) => Response | Promise<Response>) => { fake.protocolHandlers.set(scheme, handler); } },
    webRequest: { onHeadersReceived: (handler: FakeState['headersHandler']) => { fake.headersHandler = handler; } },
    setPermissionRequestHandler: (handler: FakeState['permissionHandler']) => { fake.permissionHandler = handler; },
    setPermissionCheckHandler: () => {},
  },
};
export const shell = { openExternal: async (url: string) => { fake.openedExternally.push(url); } };
export const clipboard = { writeText: (text: string) => { fake.clipboard = text; } };
export const dialog = { showOpenDialog: async () => ({ canceled: true, filePaths: [] as string[] }) };

class FakeIpcMain extends EventEmitter {
  readonly handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
  handle(channel: string, handler: (event: unknown, ...args: unknown[]) => Promise<unknown>): void { this.handlers.set(channel, handler); }
  removeHandler(channel: string): void { this.handlers.delete(channel); }
}
export const ipcMain = new FakeIpcMain();

export const nativeTheme = Object.assign(new EventEmitter(), { shouldUseDarkColors: false, shouldUseDarkColorsForSystemIntegratedUI: false, themeSource: 'system' });

export class Notification extends EventEmitter {
  static isSupported(): boolean { return true; }
  constructor(private readonly options: { title: string; body: string }) { super(); }
  show(): void { fake.notifications.push({ title: this.options.title, body: this.options.body }); }
  close(): void {}
}

export interface FakeMenuItem { id?: string; label?: string; type?: string; enabled?: boolean; click?: () => void; submenu?: FakeMenuItem[] }
export const Menu = { buildFromTemplate: (template: FakeMenuItem[]) => ({ template }) };
export const nativeImage = { createFromPath: (path: string) => ({ path }) };

export class FakeTray extends EventEmitter {
  image: { path: string };
  tooltip = '';
  menu: { template: FakeMenuItem[] } | undefined;
  destroyed = false;
  constructor(image: { path: string }) {
    super();
    this.image = image;
    fake.trays.push(this);
  }
  setImage(image: { path: string }): void { this.image = image; }
  setToolTip(text: string): void { this.tooltip = text; }
  setContextMenu(menu: { template: FakeMenuItem[] }): void { this.menu = menu; }
  destroy(): void { this.destroyed = true; }
}
export { FakeTray as Tray };

export default { app, BrowserWindow: FakeBrowserWindow, protocol, session, shell, clipboard, dialog, ipcMain, nativeTheme, Notification, Menu, nativeImage, Tray: FakeTray };
