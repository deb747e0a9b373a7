/** Settings: theme, and where this dashboard is served. */
import { useShallow } from 'zustand/react/shallow';
import type { Settings } from '../../src-core/host/api/index.js';
import { useAppStore } from '../state/store.js';

const THEMES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage({ dashboardOrigin }: { dashboardOrigin: string }) {
  const { settings, error, setTheme, setDesktopSetting } = useAppStore(useShallow((state) => ({
    settings: state.settings, error: state.settingsError, setTheme: state.setTheme, setDesktopSetting: state.setDesktopSetting,
  })));
  // Only the desktop app reports these; the web dashboard has no login item or tray.
  const desktop = settings.launchAtLogin !== undefined && settings.startMinimised !== undefined;
  return (
    <div className="stack settings">
      {error ? <div className="notice error" role="alert">{error.message}</div> : null}
      <section className="card" aria-labelledby="appearance-title">
        <div className="card-header"><h2 id="appearance-title">Appearance</h2></div>
        <div className="field">
          <div>
            <div className="label" id="theme-label">Theme</div>
            <div className="hint">System follows your operating system’s light or dark setting.</div>
          </div>
          <div className="segmented" role="group" aria-labelledby="theme-label">
            {THEMES.map((theme) => (
              <button type="button" key={theme.value} aria-pressed={settings.theme === theme.value} onClick={() => void setTheme(theme.value)}>{theme.label}</button>
            ))}
          </div>
        </div>
      </section>
      {desktop ? (
        <section className="card" aria-labelledby="desktop-title">
          <div className="card-header"><h2 id="desktop-title">Desktop</h2></div>
          <div className="field">
            <div>
              <div className="label" id="login-label">Launch at login</div>
              <div className="hint">Start Porthole in the tray when you log in, so your exposures come back by themselves.</div>
            </div>
            <label className="switch">
              <input type="checkbox" role="switch" aria-labelledby="login-label" checked={settings.launchAtLogin === true} onChange={(event) => void setDesktopSetting({ launchAtLogin: event.target.checked })} />
              <span className="track" aria-hidden="true" />
            </label>
          </div>
          <div className="field">
            <div>
              <div className="label" id="minimised-label">Start minimised</div>
              <div className="hint">Open only the tray icon at start; the window opens from the tray.</div>
            </div>
            <label className="switch">
              <input type="checkbox" role="switch" aria-labelledby="minimised-label" checked={settings.startMinimised === true} onChange={(event) => void setDesktopSetting({ startMinimised: event.target.checked })} />
              <span className="track" aria-hidden="true" />
            </label>
          </div>
        </section>
      ) : null}
      <section className="card" aria-labelledby="dashboard-title">
        <div className="card-header"><h2 id="dashboard-title">Dashboard</h2></div>
        <div className="field">
          <div>
            <div className="label">Address</div>
            <div className="hint">This page is served by <code>porthole run --ui</code>. Every request needs the token it printed at start; share the URL only with people who may control this engine.</div>
          </div>
          <code className="mono">{dashboardOrigin}</code>
        </div>
      </section>
    </div>
  );
}
