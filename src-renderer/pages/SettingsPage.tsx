/** Settings: theme, and where this dashboard is served. */
import { useShallow } from 'zustand/react/shallow';
import type { Settings } from '../../src-core/api/index.js';
import { useAppStore } from '../state/store.js';

const THEMES: { value: Settings['theme']; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

export function SettingsPage({ dashboardOrigin }: { dashboardOrigin: string }) {
  const { settings, error, setTheme } = useAppStore(useShallow((state) => ({ settings: state.settings, error: state.settingsError, setTheme: state.setTheme })));
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
