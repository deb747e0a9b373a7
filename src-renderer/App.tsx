/** The window's root: sidebar navigation with the engine control, the top bar with live rates, the pages. */
import { useEffect, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { EngineControl } from './components/EngineControl.js';
import { PROBLEM_BANNER_ID, ProblemBanner } from './components/ProblemBanner.js';
import { ServerSetupDialog } from './components/ServerSetupDialog.js';
import { ConnectionsIcon, DownIcon, ExposuresIcon, LogoIcon, LogsIcon, MoonIcon, OverviewIcon, ProfilesIcon, SettingsIcon, SunIcon, TrafficIcon, UpIcon } from './components/Icons.js';
import { InspectorIcon } from './components/inspector/InspectorIcon.js';
import { EngineStatePill } from './components/StatusPill.js';
import { formatRate } from './format.js';
import { ConnectionsPage } from './pages/ConnectionsPage.js';
import { ExposuresPage } from './pages/ExposuresPage.js';
import { InspectorPage } from './pages/InspectorPage.js';
import { LogsPage } from './pages/LogsPage.js';
import { OverviewPage } from './pages/OverviewPage.js';
import { ProfilesPage } from './pages/ProfilesPage.js';
import { RemoteSetupPage } from './pages/RemoteSetupPage.js';
import { SettingsPage } from './pages/SettingsPage.js';
import { TrafficPage } from './pages/TrafficPage.js';
import { firstProblemTitle } from './state/problems.js';
import { useAppStore } from './state/store.js';

type PageId = 'overview' | 'exposures' | 'inspector' | 'connections' | 'traffic' | 'logs' | 'profiles' | 'settings' | 'remote-setup';

const PAGES: { id: PageId; title: string; icon: ReactNode }[] = [
  { id: 'overview', title: 'Overview', icon: <OverviewIcon /> },
  { id: 'exposures', title: 'Exposures', icon: <ExposuresIcon /> },
  { id: 'inspector', title: 'Inspector', icon: <InspectorIcon /> },
  { id: 'connections', title: 'Connections', icon: <ConnectionsIcon /> },
  { id: 'traffic', title: 'Traffic', icon: <TrafficIcon /> },
  { id: 'logs', title: 'Logs', icon: <LogsIcon /> },
  { id: 'profiles', title: 'Profiles', icon: <ProfilesIcon /> },
  { id: 'settings', title: 'Settings', icon: <SettingsIcon /> },
];

/** Pages reached from other pages and the tray, not from the navigation. */
const OTHER_PAGES: { id: PageId; title: string }[] = [
  { id: 'remote-setup', title: 'Set up my server' },
];

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function usePage(): PageId {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  // `#/exposures/new` is the Exposures page with its form focused: the first segment names the page.
  const id = hash.replace(/^#\/?/, '').split('/')[0] ?? '';
  return [...PAGES, ...OTHER_PAGES].some((page) => page.id === id) ? (id as PageId) : 'overview';
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

/** The page title, the live rates (named for screen readers, not announced every second) and what the engine runs. */
function TopBar({ title }: { title: string }) {
  const { status, totals, engineError } = useAppStore(useShallow((state) => ({ status: state.status, totals: state.totals, engineError: state.engineError })));
  const running = status?.state === 'running' || status?.state === 'starting';
  // "Running" is not green while a link or an exposure is broken (issue 4/7): the banner below says what.
  const problem = useAppStore((state) => firstProblemTitle(state));
  const stale = useAppStore((state) => state.linkStatus === 'offline' || state.linkStatus === 'unauthorized');
  return (
    <header className="topbar">
      <h1>{title}</h1>
      <span className="spacer" />
      <div className="rates num" role="group" aria-label="Current rates">
        <span className="rate up" title="Upload rate"><UpIcon /><span className="sr-only">Upload </span><span data-testid="rate-up">{formatRate(totals.upRate)}</span></span>
        <span className="rate down" title="Download rate"><DownIcon /><span className="sr-only">Download </span><span data-testid="rate-down">{formatRate(totals.downRate)}</span></span>
      </div>
      <EngineStatePill state={status?.state} problem={problem} stale={stale} />
      {status?.profile ? <span className="muted topbar-profile" title={`Active profile: ${status.profile}`}><span className="sr-only">Active profile: </span>{status.profile}</span>
        : running ? <span className="muted topbar-profile" title="No profile: exposures go through the portal built into this app">built-in portal</span>
          : <span className="faint topbar-profile">no profile</span>}
      {engineError ? <span className="badge danger" role="alert" title={engineError.message}>{engineError.message.slice(0, 60)}</span> : null}
    </header>
  );
}

/**
 * Navigation, link status, theme and the engine's Start / Stop…. Below 960 px wide it collapses to
 * a rail of icons (CSS only): the words stay in the DOM as each control's name and tooltip.
 */
function Sidebar({ page, theme }: { page: PageId; theme: 'light' | 'dark' }) {
  const linkStatus = useAppStore((state) => state.linkStatus);
  const openCount = useAppStore((state) => state.totals.openConnections);
  const liveExposures = useAppStore((state) => state.exposures.filter((exposure) => exposure.state === 'live').length);
  const setTheme = useAppStore((state) => state.setTheme);
  const linkText = linkStatus === 'live' ? 'Connected' : linkStatus === 'connecting' ? 'Connecting…' : linkStatus === 'unauthorized' ? 'Token refused' : 'Reconnecting…';
  const away = linkStatus === 'offline' || linkStatus === 'unauthorized';
  const nextTheme = theme === 'dark' ? 'light' : 'dark';
  return (
    <aside className="sidebar">
      <div className="brand" title="Porthole"><LogoIcon /><span className="nav-label">Porthole</span></div>
      <nav className="nav" aria-label="Pages">
        {PAGES.map((entry) => (
          <a key={entry.id} href={`#/${entry.id}`} aria-current={entry.id === page ? 'page' : undefined} title={entry.title}>
            {entry.icon}
            <span className="nav-label">{entry.title}</span>
            {entry.id === 'connections' && openCount > 0 ? <span className="count num"><span className="sr-only">, </span>{openCount}<span className="sr-only"> open</span></span> : null}
            {entry.id === 'exposures' && liveExposures > 0 ? <span className="count num" title={`${liveExposures} live`}><span className="sr-only">, </span>{liveExposures}<span className="sr-only"> live</span></span> : null}
          </a>
        ))}
      </nav>
      <div className="sidebar-footer">
        <span className="link-status" role="status" data-testid="link-status" data-status={linkStatus} title={`Dashboard link: ${linkText}`}>
          <span className={`pill plain ${linkStatus === 'live' ? 'ok' : linkStatus === 'connecting' ? 'warn' : 'danger'}`}>
            <span className="nav-label">{linkText}</span>
          </span>
        </span>
        <button type="button" className="button small theme-toggle" onClick={() => void setTheme(nextTheme)} aria-label={`Switch to ${nextTheme} theme`} title={`Switch to ${nextTheme} theme`}>
          {theme === 'dark' ? <SunIcon /> : <MoonIcon />}
          <span className="nav-label">{theme === 'dark' ? 'Light theme' : 'Dark theme'}</span>
        </button>
        <fieldset className="away-guard" disabled={away} aria-describedby={away ? PROBLEM_BANNER_ID : undefined}>
          <EngineControl />
        </fieldset>
      </div>
    </aside>
  );
}

export function App({ dashboardOrigin }: { dashboardOrigin: string }) {
  const page = usePage();
  const theme = useResolvedTheme();
  const title = [...PAGES, ...OTHER_PAGES].find((entry) => entry.id === page)?.title ?? 'Overview';
  useEffect(() => {
    document.title = `${title} · Porthole`;
  }, [title]);
  const fill = page === 'connections' || page === 'logs' || page === 'profiles' || page === 'inspector';
  // Issue 4/7: while the service is away every action is off (the banner says why), not a "Failed to fetch" later.
  const away = useAppStore((state) => state.linkStatus === 'offline' || state.linkStatus === 'unauthorized');
  return (
    <div className="app">
      <Sidebar page={page} theme={theme} />
      <div className="main">
        <TopBar title={title} />
        <ProblemBanner />
        <main className={`page${fill ? ' fill' : ''}`} data-page={page} data-away={away || undefined}>
          <fieldset className="away-guard" disabled={away} aria-describedby={away ? PROBLEM_BANNER_ID : undefined}>
          {page === 'overview' ? <OverviewPage theme={theme} /> : null}
          {page === 'exposures' ? <ExposuresPage /> : null}
          {page === 'inspector' ? <InspectorPage /> : null}
          {page === 'connections' ? <ConnectionsPage /> : null}
          {page === 'traffic' ? <TrafficPage theme={theme} /> : null}
          {page === 'logs' ? <LogsPage /> : null}
          {page === 'profiles' ? <ProfilesPage /> : null}
          {page === 'settings' ? <SettingsPage dashboardOrigin={dashboardOrigin} /> : null}
          {page === 'remote-setup' ? <RemoteSetupPage /> : null}
          </fieldset>
        </main>
      </div>
      <ServerSetupDialog />
    </div>
  );
}
