/** Settings: theme, the built-in portal's reach, and where this dashboard is served. */
import { useShallow } from 'zustand/react/shallow';
import type { Settings } from '../../src-core/host/api/index.js';
import { useAppStore } from '../state/store.js';

const THEMES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/**
 * Issue 4/7: the built-in portal's addresses reach this machine only; this opt-in (off by default)
 * lets the network reach them, with the warning said before and after.
 */
function LocalPortalReach() {
  const { settings, info, busy, setReach } = useAppStore(useShallow((state) => ({
    settings: state.settings, info: state.localPortal, busy: state.settingsBusy, setReach: state.setLocalPortalReach,
  })));
  const on = settings.localPortalLan === true;
  const lanAddresses = info?.lanAddresses ?? [];
  const chosen = settings.localPortalLanAddress ?? '';
  return (
    <section className="card" aria-labelledby="local-portal-title" data-testid="local-portal-settings">
      <div className="card-header"><h2 id="local-portal-title">Built-in portal</h2></div>
      <div className="field">
        <div>
          <div className="label" id="lan-label">Let my network reach exposures</div>
          <div className="hint" id="lan-hint">
            Without a server, exposures get addresses on <code>127.0.0.1</code>, which only this machine can open. On, the built-in
            portal also listens on your network and gives out {lanAddresses[0] ? <code>{chosen || lanAddresses[0]}</code> : 'this machine’s network address'}.
            {' '}<b>Anyone on the same network (office, café Wi-Fi) can then open every exposed service</b>, with no password. For an address on
            the internet, connect a server in <a href="#/profiles">Profiles</a> instead.
          </div>
        </div>
        <label className="switch">
          <input type="checkbox" role="switch" aria-labelledby="lan-label" aria-describedby="lan-hint" data-testid="lan-switch" checked={on} disabled={busy}
            onChange={(event) => void setReach({ localPortalLan: event.target.checked })} />
          <span className="track" aria-hidden="true" />
        </label>
      </div>
      {on ? (
        <div className="field">
          <div>
            <div className="label" id="lan-address-label">Listen on</div>
            <div className="hint">All (0.0.0.0) keeps working when the network changes; one address limits it to that network.</div>
          </div>
          <select className="input" aria-labelledby="lan-address-label" data-testid="lan-address" value={chosen} disabled={busy}
            onChange={(event) => void setReach({ localPortalLanAddress: event.target.value === '' ? null : event.target.value })}>
            <option value="">All (0.0.0.0)</option>
            {[...new Set([...lanAddresses, ...(chosen ? [chosen] : [])])].map((address) => <option key={address} value={address}>{address}</option>)}
          </select>
        </div>
      ) : null}
      {on ? (
        <div className="notice warn flat" role="status" data-testid="lan-warning">
          <span className="grow">
            {info?.problem
              ? <>Not on the network now: {info.problem}.</>
              : <>On: anyone on your network can open the exposed services at <code className="mono">{info?.publicHost ?? lanAddresses[0] ?? 'this machine’s address'}</code>. Changing this restarts the built-in portal (open connections through it close).</>}
          </span>
        </div>
      ) : null}
    </section>
  );
}

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
      <LocalPortalReach />
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
