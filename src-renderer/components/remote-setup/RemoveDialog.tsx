/**
 * "Remove from server": asks first (a modal `<dialog>` with the harmless choice focused), and asks
 * how to log in again: the ssh-agent or a key file (its passphrase for this removal only).
 * A login is needed because nothing from the setup's login was kept.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { RemoteServerTarget } from '../../../src-core/host/api/index.js';
import type { LastAuth } from '../../state/remote-setup.js';

export interface RemoveTarget {
  host: string;
  port: number;
  user: string;
  /** What the setup made there, when known (from the servers list). */
  folder?: string;
  profile?: string;
}

export function RemoveDialog({ target, lastAuth, onRemove, onClose }: {
  target: RemoveTarget;
  lastAuth: LastAuth;
  onRemove(request: RemoteServerTarget): void;
  onClose(): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const keep = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();
  const [kind, setKind] = useState<'agent' | 'key'>(lastAuth?.kind ?? 'agent');
  const [keyFile, setKeyFile] = useState(lastAuth?.kind === 'key' ? lastAuth.keyFile : '');
  const [passphrase, setPassphrase] = useState('');
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element || element.open) return;
    element.showModal();
    keep.current?.focus();
  }, []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (kind === 'key' && keyFile.trim() === '') {
      setProblem('Give the private key file.');
      document.getElementById('remote-remove-key-file')?.focus();
      return;
    }
    const auth: RemoteServerTarget['auth'] = kind === 'agent' ? { kind: 'agent' } : { kind: 'key', keyFile: keyFile.trim(), ...(passphrase !== '' ? { passphrase } : {}) };
    onRemove({ host: target.host, port: target.port, user: target.user, auth });
    dialog.current?.close();
  };

  return (
    <dialog ref={dialog} className="confirm-dialog rs-remove-dialog" role="alertdialog" aria-modal="true" aria-labelledby={titleId} aria-describedby={bodyId} onClose={onClose} data-testid="remote-setup-remove-dialog">
      <form onSubmit={submit} noValidate>
        <h2 id={titleId}>Remove Porthole from {target.host}?</h2>
        <div id={bodyId} className="confirm-body">
          <p>
            Porthole logs in as <code className="mono">{target.user}</code> again, stops and removes the portal’s service, its files
            {target.folder ? <> in <code className="mono">{target.folder}</code></> : null} and the firewall rule it added.
            {target.profile ? <> Bridges using “{target.profile}” stop linking; the profile stays here.</> : null}
          </p>
        </div>
        <fieldset className="rs-choice">
          <legend className="label">Log in with</legend>
          <div className="rs-choice-options">
            <label className="rs-option"><input type="radio" name="remove-auth" checked={kind === 'agent'} onChange={() => setKind('agent')} /><span className="rs-option-label">ssh-agent</span></label>
            <label className="rs-option"><input type="radio" name="remove-auth" checked={kind === 'key'} onChange={() => setKind('key')} /><span className="rs-option-label">A key file</span></label>
          </div>
        </fieldset>
        {kind === 'key' ? (
          <div className="rs-row">
            <div className="form-field rs-field rs-grow">
              <label className="label" htmlFor="remote-remove-key-file">Private key file</label>
              <input id="remote-remove-key-file" className="input mono" value={keyFile} onChange={(event) => { setKeyFile(event.target.value); setProblem(null); }} placeholder="~/.ssh/id_ed25519" autoComplete="off" spellCheck={false}
                aria-invalid={problem ? true : undefined} aria-describedby={problem ? 'remote-remove-problem' : undefined} />
              {problem ? <span className="rs-problem" id="remote-remove-problem">{problem}</span> : null}
            </div>
            <div className="form-field rs-field rs-passphrase">
              <label className="label" htmlFor="remote-remove-passphrase">Passphrase <span className="faint">(if any)</span></label>
              <input id="remote-remove-passphrase" className="input" type="password" value={passphrase} onChange={(event) => setPassphrase(event.target.value)} autoComplete="off" />
            </div>
          </div>
        ) : null}
        <div className="confirm-actions">
          <button type="button" className="button" ref={keep} onClick={() => dialog.current?.close()}>Keep it</button>
          <button type="submit" className="button danger" data-testid="remote-setup-remove-confirm">Remove from server</button>
        </div>
      </form>
    </dialog>
  );
}
