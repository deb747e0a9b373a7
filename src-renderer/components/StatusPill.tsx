import type { EngineState, ExposureState } from '../../src-core/host/api/index.js';
import { EXPOSURE_STATE_LOOK } from '../state/exposures.js';

const LOOK: Record<EngineState, { className: string; label: string }> = {
  running: { className: 'ok', label: 'Running' },
  starting: { className: 'warn', label: 'Starting' },
  stopping: { className: 'warn', label: 'Stopping' },
  stopped: { className: '', label: 'Stopped' },
  failed: { className: 'danger', label: 'Failed' },
};

export function EngineStatePill({ state }: { state: EngineState | undefined }) {
  const look = LOOK[state ?? 'stopped'];
  return <span className={`pill ${look.className}`} data-testid="engine-state">{look.label}</span>;
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
