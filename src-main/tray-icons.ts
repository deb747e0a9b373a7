/**
 * Which tray icon file to show. The PNGs in `assets/` are drawn by `scripts/make-icons.js`: a
 * porthole ring whose colour says the state (idle grey, active green, error red) in two variants,
 * one for light panels (dark glyph) and one for dark panels (light glyph). Each has an `@2x`
 * sibling that Electron's `nativeImage.createFromPath` picks up by itself on high-DPI screens.
 * No `electron` import.
 */
import type { TrayIconState } from './tray-menu.js';

/** The panel the icon sits on. */
export type PanelTheme = 'light' | 'dark';

export const TRAY_ICON_STATES: readonly TrayIconState[] = ['idle', 'active', 'error'];
export const PANEL_THEMES: readonly PanelTheme[] = ['light', 'dark'];

/** `assets/` file name for `state` on a `panel` panel, e.g. `tray-active-dark.png`. */
export function trayIconFile(state: TrayIconState, panel: PanelTheme): string {
  return `tray-${state}-${panel}.png`;
}

/** Every tray icon file, 1x and 2x (what `scripts/make-icons.js` writes and the package must hold). */
export function allTrayIconFiles(): string[] {
  return TRAY_ICON_STATES.flatMap((state) => PANEL_THEMES.flatMap((panel) => {
    const file = trayIconFile(state, panel);
    return [file, file.replace(/\.png$/, '@2x.png')];
  }));
}
