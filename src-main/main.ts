/**
 * Electron entry (issue 6): hosts the engine service from `src-core` in this process and adapts it
 * to the desktop: tray, window, IPC, settings, notifications. It only composes; what each part
 * does lives in the modules it imports (the pure ones are tested without Electron).
 */
import { app, clipboard, dialog, ipcMain, nativeImage, nativeTheme, Notification } from 'electron';
import type { BrowserWindow } from 'electron';
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EngineSnapshot, Settings } from '../src-core/host/api/index.js';
import { tuneV8ForTraffic } from '../src-core/host/process/v8-tuning.js';
import { tuneMemoryForTraffic } from '../src-core/host/process/memory-tuning.js';
import { createLocalEngineService } from '../src-core/host/service/local-engine-service.js';
import type { LocalEngineService } from '../src-core/host/service/local-engine-service.js';
import { openAppSettings } from './app-settings.js';
import type { AppSettingsStore } from './app-settings.js';
import { createCryptoNoticeLog } from './crypto-notice-log.js';
import { withDesktopSettings } from './desktop-settings.js';
import { exposureSettingsChanged, exposureSettingsOf, restoreExposures } from './exposure-sync.js';
import { APP_ORIGIN } from './app-protocol.js';
import { MAX_CONFIG_BYTES } from './import-config.js';
import { serveEngineOverIpc } from './ipc-server.js';
import { autostartFile, HIDDEN_FLAG, launchCommand, setLinuxAutostart } from './login-item.js';
import { INITIAL_NOTIFIER_STATE, nextNotifications } from './notifications.js';
import type { AppNotification, NotifierState } from './notifications.js';
import type { PanelTheme } from './tray-icons.js';
import type { ClipboardContent } from './join-from-clipboard.js';
import { createTrayActionHandler } from './tray-actions.js';
import type { TrayEffects, WindowPage } from './tray-actions.js';
import type { TrayState } from './tray-menu.js';
import { trayStateOf } from './tray-state.js';
import { TrayController } from './tray.js';
import { createMainWindow, hardenSession, registerAppScheme, showWindow } from './window.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Where things are: the preload beside this file (dist/src-main), the renderer and the icons under
 * the app folder (the project root with `electron .`, `resources/app.asar` when packaged).
 */
interface AppPaths {
  /** dist/renderer, served as app://porthole/ */
  rendererFolder: string;
  preload: string;
  assets: string;
}

function appPaths(): AppPaths {
  const root = app.getAppPath();
  return { rendererFolder: join(root, 'dist', 'renderer'), preload: join(here, 'preload.cjs'), assets: join(root, 'assets') };
}

function log(message: string): void {
  console.log(`porthole: ${message}`);
}

function warn(message: string): void {
  console.warn(`porthole: ${message}`);
}

function panelTheme(): PanelTheme {
  // The panel follows the OS, not the app's own theme choice (which changes shouldUseDarkColors).
  const dark = process.platform === 'linux' ? nativeTheme.shouldUseDarkColors : nativeTheme.shouldUseDarkColorsForSystemIntegratedUI;
  return dark ? 'dark' : 'light';
}

/** Applies "launch at login" the way each platform does it. */
function applyLoginItem(enabled: boolean): void {
  try {
    if (process.platform === 'linux') {
      setLinuxAutostart(autostartFile(), enabled, launchCommand(process.execPath, process.env, app.isPackaged ? null : app.getAppPath()));
    } else {
      app.setLoginItemSettings({ openAtLogin: enabled, args: [HIDDEN_FLAG] });
    }
  } catch (error) {
    warn(`could not ${enabled ? 'set' : 'remove'} the login item: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The running app: one per process (the single-instance lock sees to that). */
class PortholeApp {
  private window: BrowserWindow | undefined;
  private tray: TrayController | undefined;
  private trayState: TrayState | undefined;
  private notifier: NotifierState = INITIAL_NOTIFIER_STATE;
  private readonly shown = new Map<string, Notification>();
  private serverAddress: { profile: string; address: string | null } | undefined;
  private disposers: (() => void)[] = [];
  /** False until the saved exposures are back in the service: until then its empty list is not news. */
  private exposuresRestored = false;
  private readonly cryptoNoticeToLog = createCryptoNoticeLog();

  constructor(
    private readonly service: LocalEngineService,
    private readonly settings: AppSettingsStore,
    private readonly paths: AppPaths,
  ) {}

  async start(startHidden: boolean, settingsWarnings: string[], settingsBackup: string | null): Promise<void> {
    const { service, settings } = this;
    const saved = settings.get();
    nativeTheme.themeSource = saved.theme;
    applyLoginItem(saved.launchAtLogin);
    await this.syncThemeToService(saved.theme);

    const effects: TrayEffects = {
      copyText: (text) => clipboard.writeText(text),
      openWindow: (page) => this.openWindow(page),
      pickConfigFile: () => this.pickConfigFile(),
      notify: (title, body) => this.notify({ id: `notice:${title}`, title, body }),
      quit: () => app.quit(),
      readClipboard: () => readClipboard(),
      offerAction: (title, body, action) => this.offerAction(title, body, action),
    };
    const onTrayAction = createTrayActionHandler(service, effects, () => this.trayState);
    this.tray = new TrayController(this.paths.assets, panelTheme(), (action) => void onTrayAction(action), () => this.openWindow());
    const onThemeUpdated = (): void => this.tray?.setPanelTheme(panelTheme());
    nativeTheme.on('updated', onThemeUpdated);
    this.disposers.push(() => nativeTheme.off('updated', onThemeUpdated));

    // The window sees the desktop-only settings (launch at login, start minimised) next to the service's.
    const desktopService = withDesktopSettings(service, {
      get: () => {
        const current = settings.get();
        return { launchAtLogin: current.launchAtLogin, startMinimised: current.startMinimised };
      },
      set: (patch) => {
        settings.update(patch);
        if (patch.launchAtLogin !== undefined) applyLoginItem(patch.launchAtLogin);
      },
    });
    this.disposers.push(serveEngineOverIpc(ipcMain, desktopService, {
      allowedOrigin: APP_ORIGIN,
      isOwnWebContents: (contents) => this.window !== undefined && !this.window.isDestroyed() && contents.id === this.window.webContents.id,
      onDidCall: (method, value) => {
        if (method === 'setSettings') this.onServiceSettings(value as Settings);
      },
      warn,
    }));
    this.disposers.push(service.onDidChangeSnapshot((snapshot) => this.onSnapshot(snapshot)));
    this.onSnapshot(await service.getSnapshot());

    if (settingsWarnings.length > 0) {
      for (const line of settingsWarnings) warn(line);
      const kept = settingsBackup ? ` The original file is kept as ${settingsBackup}.` : '';
      this.notify({ id: 'settings', title: 'Some settings could not be read', body: `Porthole kept what it could read and used defaults for the rest.${kept} Details are in the log.` });
    }
    if (!startHidden) this.openWindow();
    await this.startEngine(saved.lastActiveProfile);
    const restoreWarnings = await restoreExposures(service, saved.exposures);
    this.exposuresRestored = true;
    for (const line of restoreWarnings) warn(line);
    if (restoreWarnings.length > 0) this.notify({ id: 'restore', title: 'Some exposures were not restored', body: restoreWarnings.join('\n') });
  }

  /** The profile the user last ran, else the service's active one; a failure shows in the tray and as a notice. */
  private async startEngine(lastActiveProfile: string | null): Promise<void> {
    try {
      const status = await this.service.getStatus();
      if (lastActiveProfile && status.profile !== lastActiveProfile) {
        const known = (await this.service.listProfiles()).some((profile) => profile.name === lastActiveProfile);
        if (known) {
          await this.service.activateProfile(lastActiveProfile);
          return;
        }
        warn(`the last active profile "${lastActiveProfile}" is gone; starting the service's active profile instead`);
      }
      if (status.profile) {
        await this.service.startEngine();
        return;
      }
      // No profile, but exposures from last time: adding an exposure that exists starts the engine
      // with the built-in local portal and changes nothing else (the contract's one-click rule).
      const snapshot = await this.service.getSnapshot();
      const first = snapshot.exposuresPaused ? undefined : snapshot.exposures.find((exposure) => exposure.enabled);
      if (first) await this.service.addExposure({ localHost: first.localHost, localPort: first.localPort });
      else log('no profile yet: import one from the tray ("Import V2Ray config…") or in Profiles');
    } catch (error) {
      const message = error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error) ? String((error as { message: unknown }).message) : String(error);
      warn(`the engine did not start: ${message}`);
    }
  }

  private onSnapshot(snapshot: EngineSnapshot): void {
    const profile = snapshot.status.profile;
    if (profile && this.serverAddress?.profile !== profile) this.lookUpServerAddress(profile);
    this.trayState = trayStateOf(snapshot, this.serverAddress?.profile === profile ? this.serverAddress.address : null);
    this.tray?.update(this.trayState);

    // Which crypto path VMess takes here, as `porthole run` says at start: information, not a notification.
    const cryptoNotice = this.cryptoNoticeToLog(snapshot);
    if (cryptoNotice) log(cryptoNotice);

    const next = nextNotifications(this.notifier, snapshot);
    this.notifier = next.state;
    for (const notification of next.notifications) this.notify(notification);

    // Mirror what the service changed into the settings store, only on a real change.
    const saved = this.settings.get();
    const exposures = exposureSettingsOf(snapshot.exposures);
    if (this.exposuresRestored && exposureSettingsChanged(saved.exposures, exposures)) this.settings.update({ exposures });
    if (profile && profile !== saved.lastActiveProfile && snapshot.status.state === 'running') this.settings.update({ lastActiveProfile: profile });
  }

  /** Where the active profile's bridge dials, for the status line ("Portal vps.example.com:443"). */
  private lookUpServerAddress(profile: string): void {
    this.serverAddress = { profile, address: null };
    this.service.getServerSetup(profile).then(
      (setup) => { if (this.serverAddress?.profile === profile) this.serverAddress = { profile, address: setup.serverAddress }; },
      () => {}, // no bridge in this profile (a portal, the local demo): the tray says "this machine" or nothing
    );
  }

  private onServiceSettings(value: Settings): void {
    if (value.theme !== this.settings.get().theme) {
      this.settings.update({ theme: value.theme });
      nativeTheme.themeSource = value.theme;
    }
  }

  /** The service keeps its own copy of the theme (the renderer reads it there): start it from ours. */
  private async syncThemeToService(theme: Settings['theme']): Promise<void> {
    const current = await this.service.getSettings();
    if (current.theme !== theme) await this.service.setSettings({ theme });
  }

  openWindow(page?: WindowPage): void {
    if (this.window && !this.window.isDestroyed()) {
      showWindow(this.window, page);
      return;
    }
    this.window = createMainWindow({
      preloadPath: this.paths.preload,
      iconPath: join(this.paths.assets, 'icon.png'),
      onClosed: () => { this.window = undefined; },
    }, page ?? 'overview');
  }

  private async pickConfigFile(): Promise<{ path: string; text: string } | null> {
    const options: Electron.OpenDialogOptions = {
      title: 'Import V2Ray config',
      properties: ['openFile'],
      filters: [{ name: 'V2Ray config', extensions: ['json', 'jsonc'] }, { name: 'All files', extensions: ['*'] }],
    };
    const result = this.window && !this.window.isDestroyed() ? await dialog.showOpenDialog(this.window, options) : await dialog.showOpenDialog(options);
    const path = result.filePaths[0];
    if (result.canceled || !path) return null;
    const info = await stat(path);
    if (info.size > MAX_CONFIG_BYTES) throw Object.assign(new Error(`${path} is ${Math.round(info.size / 1024)} KiB; a config is at most 1 MiB`), { code: 'PH_PROFILE_TOO_LARGE' });
    return { path, text: await readFile(path, 'utf8') };
  }

  private notify(notification: AppNotification): void {
    log(`${notification.title}: ${notification.body}`);
    if (!Notification.isSupported()) return;
    // A newer notice about the same subject replaces the older one.
    this.shown.get(notification.id)?.close();
    const shown = new Notification({ title: notification.title, body: notification.body, icon: join(this.paths.assets, 'icon.png') });
    shown.on('click', () => this.openWindow());
    shown.on('close', () => { if (this.shown.get(notification.id) === shown) this.shown.delete(notification.id); });
    this.shown.set(notification.id, shown);
    shown.show();
  }

  /**
   * A notice with one action: a button where the desktop shows them (macOS), and a click on the
   * notice everywhere. Resolves false when it is closed or the desktop shows no notices.
   */
  private offerAction(title: string, body: string, action: string): Promise<boolean> {
    log(`${title}: ${body}`);
    if (!Notification.isSupported()) return Promise.resolve(false);
    return new Promise((resolve) => {
      const shown = new Notification({ title, body: `${body} Click to ${action.toLowerCase()}.`, actions: [{ type: 'button', text: action }], icon: join(this.paths.assets, 'icon.png') });
      shown.once('action', () => resolve(true));
      shown.once('click', () => resolve(true));
      shown.once('close', () => resolve(false));
      shown.show();
    });
  }

  /** Stops everything in order; the engine closes its sockets before the process exits. */
  async close(): Promise<void> {
    for (const dispose of this.disposers.splice(0).reverse()) dispose();
    this.tray?.destroy();
    await this.service.close();
  }
}

/** The clipboard as "Join from clipboard" reads it: its text, and its first picture as BGRA pixels (join-from-clipboard.ts). */
async function readClipboard(): Promise<ClipboardContent> {
  const text = await clipboard.readText();
  for (const item of await clipboard.read()) {
    const type = item.types.find((candidate) => candidate.startsWith('image/'));
    if (!type) continue;
    const blob = (await item.getType(type)) as Blob;
    const image = nativeImage.createFromBuffer(Buffer.from(await blob.arrayBuffer()));
    if (image.isEmpty()) continue;
    const { width, height } = image.getSize();
    return { text, image: { width, height, bgra: image.toBitmap() } };
  }
  return { text, image: null };
}

async function main(): Promise<void> {
  // One app per user: a second launch (from the menu, or at login twice) shows the first one's window.
  if (!app.requestSingleInstanceLock()) {
    log('already running: showing the open window instead');
    app.quit();
    return;
  }
  app.setAppUserModelId('app.porthole.desktop');
  // Filled once ready; the handlers below are registered before, so no event is missed.
  const running: { app?: PortholeApp } = {};
  app.on('second-instance', () => running.app?.openWindow());
  // The app lives in the tray: closing the window does not quit it.
  app.on('window-all-closed', () => {});

  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !running.app) return;
    closing = true;
    event.preventDefault();
    running.app.close().catch((error: unknown) => warn(`while quitting: ${String(error)}`)).finally(() => app.exit(0));
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  registerAppScheme();
  await app.whenReady();
  const paths = appPaths();
  hardenSession(paths.rendererFolder);
  const userData = app.getPath('userData');
  const { store, warnings, backupPath } = openAppSettings(userData, warn);
  tuneV8ForTraffic();
  // A tray app runs for days: give the heap back when traffic goes quiet (its timer is unref'd).
  tuneMemoryForTraffic();
  const service = await createLocalEngineService({
    profilesFolder: join(userData, 'profiles'),
    settingsFile: join(userData, 'engine.json'),
  });
  log(`profiles in ${join(userData, 'profiles')}, settings in ${store.path ?? '(memory only)'}`);
  const porthole = new PortholeApp(service, store, paths);
  running.app = porthole;
  const openedAtLogin = process.argv.includes(HIDDEN_FLAG) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  await porthole.start(store.get().startMinimised || openedAtLogin, warnings, backupPath);
}

main().catch((error: unknown) => {
  console.error('porthole: the tray app could not start:', error);
  app.exit(1);
});
