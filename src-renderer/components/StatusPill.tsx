import type { EngineState, ExposureState } from '../../src-core/host/api/index.js';
import { EXPOSURE_STATE_LOOK } from '../state/exposures.js';

const LOOK: Record<EngineState, { className: string; label: string }> = {
  running: { className: 'ok', label: 'Running' },
  starting: { className: 'warn', label: 'Starting' },
  stopping: { className: 'warn', label: 'Stopping' },
  stopped: { className: '', label: 'Stopped' },
  failed: { className: 'danger', label: 'Failed' },
};

/** `problem`: running, but something stops it from working (the banner says what): not green then. */
/** `stale`: the dashboard lost its service, so this is the last state it heard: grey, never green. */
export function EngineStatePill({ state, problem = null, stale = false }: { state: EngineState | undefined; problem?: string | null; stale?: boolean }) {
  const look = LOOK[state ?? 'stopped'];
  const troubled = !stale && problem !== null && state === 'running';
  const className = stale ? '' : troubled ? 'warn' : look.className;
  const title = stale ? `Last known: ${look.label.toLowerCase()} (the service cannot be reached now)` : troubled ? problem : undefined;
  return <span className={`pill ${className}`} data-testid="engine-state" data-troubled={troubled || undefined} data-stale={stale || undefined} title={title}>{look.label}</span>;
}

export function LinkStatePill({ state }: { state: 'up' | 'connecting' | 'down' }) {
  const className = state === 'up' ? 'ok' : state === 'connecting' ? 'warn' : 'danger';
  const label = state === 'up' ? 'Link up' : state === 'connecting' ? 'Connecting' : 'No link';
  return <span className={`pill ${className}`}>{label}</span>;
}

export function ExposureStatePill({ state }: { state: ExposureState }) {
  const look = EXPOSURE_STATE_LOOK[state];
  return <span className={`pill ${look.tone}`} data-testid="exposure-state" data-state={state}>{look.label}</span>;
}
