/** The window's root: sidebar navigation, the top bar with engine control and live rates, the pages. */
import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ServerSetupDialog } from './components/ServerSetupDialog.js';
import { ConnectionsIcon, DownIcon, ExposuresIcon, LogoIcon, LogsIcon, MoonIcon, OverviewIcon, PlayIcon, ProfilesIcon, SettingsIcon, StopIcon, SunIcon, TrafficIcon, UpIcon } from './components/Icons.js';
import { EngineStatePill } from './components/StatusPill.js';
import { formatRate } from './format.js';
import { ConnectionsPage } from './pages/ConnectionsPage.js';
import { ExposuresPage } from './pages/ExposuresPage.js';
import { LogsPage } from './pages/LogsPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { ProfilesPage } from './pages/ProfilesPage.js';
import { SettingsPage } from './pages/SettingsPage.js';
import { TrafficPage } from './pages/TrafficPage.js';
import { useAppStore } from './state/store.js';

type PageId = 'overview' | 'exposures' | 'connections' | 'traffic' | 'logs' | 'profiles' | 'settings';

const PAGES: { id: PageId; title: string; icon: ReactNode }[] = [
  { id: 'overview', title: 'Overview', icon: <OverviewIcon /> },
  { id: 'exposures', title: 'Exposures', icon: <ExposuresIcon /> },
  { id: 'connections', title: 'Connections', icon: <ConnectionsIcon /> },
  { id: 'traffic', title: 'Traffic', icon: <TrafficIcon /> },
  { id: 'logs', title: 'Logs', icon: <LogsIcon /> },
  { id: 'profiles', title: 'Profiles', icon: <ProfilesIcon /> },
  { id: 'settings', title: 'Settings', icon: <SettingsIcon /> },
];

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function usePage(): PageId {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  // `#/exposures/new` is the Exposures page with its form focused: the first segment names the page.
  const id = hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return PAGES.some((page) => page.id === id) ? (id as PageId) : 'overview';
}

function usePrefersDark(): boolean {
  const [dark, setDark] = useState(() => window.matchMedia('(prefers-color-scheme: dark)').matches);
  useEffect(() => {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => setDark(query.matches);
    query.addEventListener('change', onChange);
    return () => query.removeEventListener('change', onChange);
  }, []);
  return dark;
}

function useResolvedTheme(): 'light' | 'dark' {
  const theme = useAppStore((state) => state.settings.theme);
  const prefersDark = usePrefersDark();
  const resolved = theme === 'system' ? (prefersDark ? 'dark' : 'light') : theme;
  useEffect(() => {
    document.documentElement.dataset.theme = resolved;
  }, [resolved]);
  return resolved;
}

function TopBar({ title }: { title: string }) {
  const { status, totals, busy, engineError } = useAppStore(useShallow((state) => ({ status: state.status, totals: state.totals, busy: state.engineBusy, engineError: state.engineError })));
  const { startEngine, stopEngine } = useAppStore(useShallow((state) => ({ startEngine: state.startEngine, stopEngine: state.stopEngine })));
  const running = status?.state === 'running' || status?.state === 'starting';
  return (
    <header className="topbar">
      <h1>{title}</h1>
      <span className="spacer" />
      <div className="rates num" aria-label="Current rates">
        <span className="rate up" title="Upload"><UpIcon /><span data-testid="rate-up">{formatRate(totals.upRate)}</span></span>
        <span className="rate down" title="Download"><DownIcon /><span data-testid="rate-down">{formatRate(totals.downRate)}</span></span>
      </div>
      <EngineStatePill state={status?.state} />
      {status?.profile ? <span className="muted" title="Active profile">{status.profile}</span>
        : running ? <span className="muted" title="No profile: exposures go through the portal built into this app">built-in portal</span>
          : <span className="faint">no profile</span>}
      {engineError ? <span className="badge danger" role="alert" title={engineError.message}>{engineError.message.slice(0, 60)}</span> : null}
      {running ? (
        <button type="button" className="button" onClick={() => void stopEngine()} disabled={busy}><StopIcon />Stop</button>
      ) : (
        <button type="button" className="button primary" onClick={() => void startEngine()} disabled={busy || !status?.profile}><PlayIcon />Start</button>
      )}
    </header>
  );
}

function Sidebar({ page, theme }: { page: PageId; theme: 'light' | 'dark' }) {
  const linkStatus = useAppStore((state) => state.linkStatus);
  const openCount = useAppStore((state) => state.totals.openConnections);
  const liveExposures = useAppStore((state) => state.exposures.filter((exposure) => exposure.state === 'live').length);
  const setTheme = useAppStore((state) => state.setTheme);
  return (
    <aside className="sidebar">
      <div className="brand"><LogoIcon />Porthole</div>
      <nav className="nav" aria-label="Pages">
        {PAGES.map((entry) => (
          <a key={entry.id} href={`#/${entry.id}`} aria-current={entry.id === page ? 'page' : undefined}>
            {entry.icon}
            {entry.title}
            {entry.id === 'connections' && openCount > 0 ? <span className="count num">{openCount}</span> : null}
            {entry.id === 'exposures' && liveExposures > 0 ? <span className="count num" title={`${liveExposures} live`}>{liveExposures}</span> : null}
          </a>
        ))}
      </nav>
      <div className="sidebar-footer">
        <span className="link-status" role="status" data-testid="link-status" data-status={linkStatus}>
          <span className={`pill plain ${linkStatus === 'live' ? 'ok' : linkStatus === 'connecting' ? 'warn' : 'danger'}`}>
            {linkStatus === 'live' ? 'Live' : linkStatus === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
          </span>
        </span>
        <button type="button" className="button small" onClick={() => void setTheme(theme === 'dark' ? 'light' : 'dark')} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
          {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
          {theme === 'dark' ? 'Light theme' : 'Dark theme'}
        </button>
      </div>
    </aside>
  );
}

export function App({ dashboardOrigin }: { dashboardOrigin: string }) {
  const page = usePage();
  const theme = useResolvedTheme();
  const title = PAGES.find((entry) => entry.id === page)?.title ?? 'Overview';
  useEffect(() => {
    document.title = `${title} · Porthole`;
  }, [title]);
  const fill = page === 'connections' || page === 'logs' || page === 'profiles';
  return (
    <div className="app">
      <Sidebar page={page} theme={theme} />
      <div className="main">
        <TopBar title={title} />
        <main className={`page${fill ? ' fill' : ''}`} data-page={page}>
          {page === 'overview' ? <OverviewPage theme={theme} /> : null}
          {page === 'exposures' ? <ExposuresPage /> : null}
          {page === 'connections' ? <ConnectionsPage /> : null}
          {page === 'traffic' ? <TrafficPage theme={theme} /> : null}
          {page === 'logs' ? <LogsPage /> : null}
          {page === 'profiles' ? <ProfilesPage /> : null}
          {page === 'settings' ? <SettingsPage dashboardOrigin={dashboardOrigin} /> : null}
        </main>
      </div>
      <ServerSetupDialog />
    </div>
  );
}
