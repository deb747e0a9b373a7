/**
 * Start, or Stop… with a question first (issue 4/7): stopping takes every exposure offline and
 * cuts every open connection, so one stray Enter must not do it. It sits at the foot of the
 * sidebar, after the navigation and the theme, not as the first stop on the way into a page.
 */
import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../state/store.js';
import { useConfirm } from './ConfirmDialog.js';
import { PlayIcon, StopIcon } from './Icons.js';

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function EngineControl() {
  const { state, profile, busy, live, open } = useAppStore(useShallow((store) => ({
    state: store.status?.state, profile: store.status?.profile ?? null, busy: store.engineBusy,
    live: store.exposures.filter((exposure) => exposure.state === 'live').length, open: store.totals.openConnections,
  })));
  const { startEngine, stopEngine } = useAppStore(useShallow((store) => ({ startEngine: store.startEngine, stopEngine: store.stopEngine })));
  const [ask, dialog] = useConfirm();
  const running = state === 'running' || state === 'starting';

  const stop = async () => {
    const answer = await ask({
      kind: 'stop-engine',
      title: 'Stop the engine?',
      body: (
        <p>
          {live > 0 ? `${plural(live, 'live exposure')} go${live === 1 ? 'es' : ''} offline and ` : 'Every exposure goes offline and '}
          {open > 0 ? `${plural(open, 'open connection')} ${open === 1 ? 'is' : 'are'} cut` : 'new connections are refused'}
          {' '}until you start it again. {profile ? `Start runs “${profile}” again.` : ''}
        </p>
      ),
      choices: [{ id: 'stop', label: 'Stop engine', tone: 'danger' }, { id: 'keep', label: 'Keep running', tone: 'primary' }],
      initial: 'keep',
      cancel: 'keep',
    });
    if (answer === 'stop') await stopEngine();
  };

  return (
    <>
      {running ? (
        <button type="button" className="button engine-control" onClick={() => void stop()} disabled={busy} title="Stop the engine (asks first)">
          <StopIcon /><span className="nav-label">Stop engine…</span>
        </button>
      ) : (
        <button type="button" className="button primary engine-control" onClick={() => void startEngine()} disabled={busy || !profile} title={profile ? `Start “${profile}”` : 'Activate a profile first'}>
          <PlayIcon /><span className="nav-label">Start</span>
        </button>
      )}
      {dialog}
    </>
  );
}
