/**
 * A run's steps in order, each with its state in words (not colour only): pending, running (a
 * spinner), done with what it found, skipped with the commands to run by hand, waiting for the
 * user (the host key, shown in place), failed with its reason in one line and Retry. The failed
 * reason takes the focus (RunPanel does that through `reasonRef`).
 */
import { useState, type FormEvent, type ReactNode, type Ref } from 'react';
import type { RemoteSetupStep, RemoteStepState } from '../../../src-core/host/api/index.js';
import { asSentence } from '../../format.js';
import { CopyButton } from '../CopyButton.js';
import { AlertIcon, CheckIcon, CloseIcon } from '../Icons.js';

const STATE_TEXT: Record<RemoteStepState, string> = {
  pending: 'Not yet',
  running: 'Running…',
  done: 'Done',
  skipped: 'Skipped',
  failed: 'Failed',
  waiting: 'Needs you',
};

/** A dash: skipped is neither done nor failed. */
const SkipIcon = () => <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2.6} strokeLinecap="round" aria-hidden="true" focusable="false"><path d="M7 12h10" /></svg>;

const MARK: Partial<Record<RemoteStepState, ReactNode>> = {
  done: <CheckIcon />,
  skipped: <SkipIcon />,
  failed: <CloseIcon />,
  waiting: <AlertIcon />,
};

/** Commands to run by hand (the firewall rules when none could be applied). */
function ManualCommands({ step }: { step: RemoteSetupStep }) {
  const text = (step.manual ?? []).join('\n');
  return (
    <div className="setup-block rs-manual" data-testid="remote-setup-manual">
      <div className="setup-block-head">
        <span className="label">Run on the server</span>
        <span className="spacer" style={{ flex: 1 }} />
        <CopyButton text={text} what={`the commands for “${step.title}”`} />
      </div>
      <pre className="setup-command mono">{text}</pre>
    </div>
  );
}

/** Retry, with the key's passphrase when it needs one (sent once, not kept). */
function RetryForm({ wantsPassphrase, busy, onRetry }: { wantsPassphrase: boolean; busy: boolean; onRetry(passphrase?: string): void }) {
  const [passphrase, setPassphrase] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onRetry(wantsPassphrase && passphrase !== '' ? passphrase : undefined);
    setPassphrase('');
  };
  return (
    <form className="rs-retry" onSubmit={submit} aria-label="Retry this step">
      {wantsPassphrase ? (
        <div className="form-field rs-field rs-passphrase">
          <label className="label" htmlFor="remote-setup-retry-passphrase">Key passphrase <span className="faint">(for this retry only)</span></label>
          <input id="remote-setup-retry-passphrase" className="input" type="password" autoComplete="off" value={passphrase} onChange={(event) => setPassphrase(event.target.value)} data-testid="remote-setup-retry-passphrase" />
        </div>
      ) : null}
      <button type="submit" className="button primary small" disabled={busy} data-testid="remote-setup-retry">{busy ? 'Retrying…' : 'Retry'}</button>
    </form>
  );
}

export interface StepListProps {
  steps: RemoteSetupStep[];
  /** What to show inside a step that waits for the user (the host key prompt). */
  waitingContent?: ReactNode;
  /** What to show inside a failed step instead of Retry (a changed host key cannot be retried). */
  failedContent?: ReactNode;
  wantsPassphrase: boolean;
  retrying: boolean;
  /** Null: no Retry (the run is not failed, or retrying cannot help). */
  onRetry: ((passphrase?: string) => void) | null;
  reasonRef: Ref<HTMLParagraphElement>;
}

export function StepList({ steps, waitingContent, failedContent, wantsPassphrase, retrying, onRetry, reasonRef }: StepListProps) {
  return (
    <ol className="rs-steps" aria-label="Steps" data-testid="remote-setup-steps">
      {steps.map((step, index) => (
        <li key={step.id} className={`rs-step ${step.state}`} data-step={step.id} data-state={step.state} aria-current={step.state === 'running' || step.state === 'waiting' ? 'step' : undefined}>
          <span className="rs-mark" aria-hidden="true">{MARK[step.state] ?? <span className="rs-mark-number">{index + 1}</span>}</span>
          <div className="rs-step-body">
            <div className="rs-step-head">
              <span className="rs-step-title" data-testid="remote-setup-step-title">{step.title}</span>
              <span className="rs-step-state" data-testid="remote-setup-step-state">{STATE_TEXT[step.state]}</span>
            </div>
            {step.detail && step.state !== 'failed' && !(step.state === 'waiting' && waitingContent) ? <span className="rs-step-detail" data-testid="remote-setup-step-detail">{step.detail}</span> : null}
            {step.state === 'failed' ? (
              <>
                <p className="rs-step-reason" tabIndex={-1} ref={reasonRef} data-testid="remote-setup-step-reason">{step.reason ? asSentence(step.reason) : 'This step failed without saying why; the log has the details.'}</p>
                {failedContent ?? (onRetry ? <RetryForm wantsPassphrase={wantsPassphrase} busy={retrying} onRetry={onRetry} /> : null)}
              </>
            ) : null}
            {step.state === 'waiting' ? (waitingContent ?? (step.reason ? <span className="rs-step-detail">{step.reason}</span> : null)) : null}
            {step.manual && step.manual.length > 0 ? <ManualCommands step={step} /> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}
