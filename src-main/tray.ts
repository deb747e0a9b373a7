/**
 * The tray icon as Electron shows it: a thin adapter over the pure `tray-menu.ts` (menu, icon
 * state, tooltip) and `tray-icons.ts` (which file). The menu is rebuilt only when its template
 * changes, since some Linux panels (AppIndicator) re-render the whole menu on every set.
 */
import { Menu, nativeImage, Tray } from 'electron';
import type { NativeImage } from 'electron';
import { join } from 'node:path';
import { trayIconFile } from './tray-icons.js';
import type { PanelTheme } from './tray-icons.js';
import { buildTrayMenu, trayIconState, trayTooltip, withClickHandlers } from './tray-menu.js';
import type { MenuItemTemplate, TrayAction, TrayState } from './tray-menu.js';

export class TrayController {
  private readonly tray: Tray;
  private readonly images = new Map<string, NativeImage>();
  private state: TrayState | undefined;
  private menuKey = '';
  private iconKey = '';
  private tooltip = '';

  constructor(
    private readonly assetsFolder: string,
    private panel: PanelTheme,
    private readonly dispatch: (action: TrayAction) => void,
    onActivate: () => void,
  ) {
    this.tray = new Tray(this.image(trayIconFile('idle', panel)));
    this.tray.setToolTip('Porthole');
    // Windows and macOS: a left click opens the window, the menu is on the right button. Linux
    // panels open the menu on any click and never emit this.
    this.tray.on('click', onActivate);
  }

  /** Redraws what changed for `state`. */
  update(state: TrayState): void {
    this.state = state;
    const iconFile = trayIconFile(trayIconState(state), this.panel);
    if (iconFile !== this.iconKey) {
      this.iconKey = iconFile;
      this.tray.setImage(this.image(iconFile));
    }
    const tooltip = trayTooltip(state);
    if (tooltip !== this.tooltip) {
      this.tooltip = tooltip;
      this.tray.setToolTip(tooltip);
    }
    const template = buildTrayMenu(state);
    const key = JSON.stringify(template);
    if (key !== this.menuKey) {
      this.menuKey = key;
      this.setMenu(template);
    }
  }

  /** The panel turned light or dark: swap the icon set. */
  setPanelTheme(panel: PanelTheme): void {
    if (panel === this.panel) return;
    this.panel = panel;
    this.iconKey = '';
    if (this.state) this.update(this.state);
  }

  destroy(): void {
    this.tray.destroy();
  }

  private setMenu(template: MenuItemTemplate[]): void {
    this.tray.setContextMenu(Menu.buildFromTemplate(withClickHandlers(template, this.dispatch)));
  }

  private image(file: string): NativeImage {
    let image = this.images.get(file);
    if (!image) {
      // createFromPath also loads the @2x sibling for high-DPI screens.
      image = nativeImage.createFromPath(join(this.assetsFolder, file));
      this.images.set(file, image);
    }
    return image;
  }
}
