/**
 * A run as it goes: who and where, the steps (the host key asked for in place), Cancel between
 * steps, and the end: the result, a removal done, or a cancel. Focus follows what needs the user:
 * the host-key prompt when it appears, the failed step's reason, the result once done.
 */
import { useEffect, useRef } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RemoteSetup } from '../../../src-core/host/api/index.js';
import { hostKeyChanged, isActive, retryWantsPassphrase, stoppedStep, useRemoteSetupStore } from '../../state/remote-setup.js';
import { AlertIcon, TrashIcon } from '../Icons.js';
import { HostKeyChanged, HostKeyPrompt } from './HostKeyPrompt.js';
import { SetupResult } from './SetupResult.js';
import { StepList } from './StepList.js';

const RUN_STATE: Record<RemoteSetup['state'], { text: string; tone: string }> = {
  running: { text: 'Running', tone: 'warn' },
  waiting: { text: 'Waiting for you', tone: 'warn' },
  failed: { text: 'Stopped at a failed step', tone: 'danger' },
  done: { text: 'Done', tone: 'ok' },
  cancelled: { text: 'Cancelled', tone: '' },
};

function targetText(run: RemoteSetup): string {
  return `${run.target.user}@${run.target.host}${run.target.port === 22 ? '' : `:${run.target.port}`}`;
}

export function RunPanel({ run, onRemove, onNewSetup }: { run: RemoteSetup; onRemove(): void; onNewSetup(): void }) {
  const { busy, error, lastAuth } = useRemoteSetupStore(useShallow((state) => ({ busy: state.busy, error: state.error, lastAuth: state.lastAuth })));
  const { acceptHostKey, retry, cancel, dismissError } = useRemoteSetupStore(useShallow((state) => ({
    acceptHostKey: state.acceptHostKey, retry: state.retry, cancel: state.cancel, dismissError: state.dismissError,
  })));
  const hostKeyHeading = useRef<HTMLHeadingElement>(null);
  const reason = useRef<HTMLParagraphElement>(null);
  const endHeading = useRef<HTMLElement>(null);
  const stopped = stoppedStep(run);
  const changed = hostKeyChanged(run);
  const asking = run.state === 'waiting' && run.hostKey !== undefined && !changed;
  const active = isActive(run);
  const install = run.kind === 'install';

  // Focus goes where the user is needed (the control they used may have just gone away).
  const focusKey = `${run.id}:${run.state}:${stopped?.id ?? ''}`;
  useEffect(() => {
    if (asking) hostKeyHeading.current?.focus();
    else if (run.state === 'failed') reason.current?.focus();
    else if (run.state === 'done' || run.state === 'cancelled') endHeading.current?.focus();
    // Keyed on the stop only: a detail updated while the user reads must not pull the focus back.
  }, [focusKey, asking, run.state]);

  // Once it ended the pill says how; the result (first in the panel) says what it made.
  const ended = run.state === 'done' || run.state === 'cancelled';
  const title = ended ? targetText(run) : install ? `Setting up ${targetText(run)}` : `Removing Porthole from ${targetText(run)}`;
  const state = RUN_STATE[run.state];
  return (
    <section className="card rs-run" aria-labelledby="remote-setup-run-title" data-testid="remote-setup-run" data-state={run.state} data-kind={run.kind}>
      <div className="card-header">
        <h2 id="remote-setup-run-title" className="rs-run-title">{title}</h2>
        <span className={`pill ${state.tone}`} data-testid="remote-setup-run-state">{state.text}</span>
        <span className="spacer" style={{ flex: 1 }} />
        {active || run.state === 'failed' ? (
          <button type="button" className="button small" onClick={() => void cancel()} disabled={busy !== null && busy !== 'retry'} data-testid="remote-setup-cancel"
            title={run.state === 'running' ? 'Stops after the step that is running; what was done stays on the server' : undefined}>
            {busy === 'cancel' ? 'Cancelling…' : install ? 'Cancel setup' : 'Cancel removal'}
          </button>
        ) : null}
      </div>
      {error ? (
        <div className="notice error flat" role="alert" data-testid="remote-setup-error">
          <AlertIcon />
          <span className="grow">{error}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={dismissError}>×</button>
        </div>
      ) : null}
      <div className="rs-run-body">
        {/* How it ended comes first: the address to copy should not sit below nine steps. */}
        {run.state === 'done' && install ? <SetupResult run={run} headingRef={endHeading} /> : null}
        {run.state === 'done' && !install ? (
          <p className="notice success rs-end" data-testid="remote-setup-removed"><span className="grow"><b tabIndex={-1} ref={endHeading}>Porthole is removed from {run.target.host}.</b> Its service, files and firewall rule are gone; the bridge profile stays on this machine.</span></p>
        ) : null}
        {run.state === 'cancelled' ? (
          <p className="notice info rs-end" data-testid="remote-setup-cancelled"><span className="grow"><b tabIndex={-1} ref={endHeading}>Cancelled.</b> What was done stays on the server; Remove from server undoes it.</span></p>
        ) : null}
        <StepList
          steps={run.steps}
          waitingContent={asking && run.hostKey ? <HostKeyPrompt ref={hostKeyHeading} host={run.target.host} hostKey={run.hostKey} busy={busy === 'accept'} onAccept={() => void acceptHostKey()} onCancel={() => void cancel()} /> : undefined}
          failedContent={changed && run.hostKey && stopped?.id === 'host-key' ? <HostKeyChanged hostKey={run.hostKey} /> : undefined}
          wantsPassphrase={retryWantsPassphrase(run, lastAuth)}
          retrying={busy === 'retry'}
          onRetry={run.state === 'failed' ? (passphrase) => void retry(passphrase) : null}
          reasonRef={reason}
        />
      </div>
      {!active ? (
        <div className="rs-footer">
          {install && (run.state === 'done' || run.state === 'cancelled') ? (
            <button type="button" className="button danger" onClick={onRemove} disabled={busy !== null} data-testid="remote-setup-remove"><TrashIcon />Remove from server…</button>
          ) : null}
          <span className="spacer" />
          {run.state !== 'failed' ? <button type="button" className="button" onClick={onNewSetup}>{install && run.state === 'done' ? 'Set up another server' : 'Back to the form'}</button> : null}
        </div>
      ) : null}
    </section>
  );
}
