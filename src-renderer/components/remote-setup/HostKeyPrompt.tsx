/**
 * The server's host key, shown for the user to accept (then pinned) or, when a different key was
 * pinned for this host before, shown as refused with both fingerprints and no way to accept it.
 */
import { forwardRef } from 'react';
import type { RemoteHostKey } from '../../../src-core/host/api/index.js';
import { CopyButton } from '../CopyButton.js';

/** The command that prints this key's fingerprint on the server, to compare by hand. */
export function fingerprintCommand(algorithm: string): string {
  const kind = algorithm.includes('ed25519') ? 'ed25519' : algorithm.startsWith('ecdsa') ? 'ecdsa' : algorithm.includes('rsa') ? 'rsa' : '*';
  return `ssh-keygen -lf /etc/ssh/ssh_host_${kind}_key.pub`;
}

function Fingerprint({ label, fingerprint, testId }: { label: string; fingerprint: string; testId: string }) {
  return (
    <div className="rs-key-row">
      <dt>{label}</dt>
      <dd>
        <code className="mono rs-fingerprint" data-testid={testId}>{fingerprint}</code>
        <CopyButton text={fingerprint} what={`the ${label.toLowerCase()}`} />
      </dd>
    </div>
  );
}

/** Waiting for the user: what the key is, why it matters, Accept and pin / Cancel. */
export const HostKeyPrompt = forwardRef<HTMLHeadingElement, {
  host: string;
  hostKey: RemoteHostKey;
  busy: boolean;
  onAccept(): void;
  onCancel(): void;
}>(function HostKeyPrompt({ host, hostKey, busy, onAccept, onCancel }, heading) {
  const command = fingerprintCommand(hostKey.algorithm);
  return (
    <div className="rs-hostkey" role="group" aria-labelledby="remote-setup-hostkey-title" aria-describedby="remote-setup-hostkey-why" data-testid="remote-setup-host-key">
      <h3 id="remote-setup-hostkey-title" tabIndex={-1} ref={heading}>Is this {host}’s key?</h3>
      <p id="remote-setup-hostkey-why" className="rs-hostkey-why">
        This fingerprint proves which machine answered: compare it with the one your provider’s console shows (or <code className="mono">{command}</code> on the server) before you accept.
        Porthole then pins it and refuses any other key from this server.
      </p>
      <dl className="rs-key">
        <div className="rs-key-row"><dt>Algorithm</dt><dd><code className="mono" data-testid="remote-setup-host-key-algorithm">{hostKey.algorithm}</code></dd></div>
        <Fingerprint label="Fingerprint" fingerprint={hostKey.fingerprint} testId="remote-setup-host-key-fingerprint" />
      </dl>
      <div className="rs-actions">
        <button type="button" className="button primary" onClick={onAccept} disabled={busy} data-testid="remote-setup-accept">{busy ? 'Accepting…' : 'Accept and pin'}</button>
        <button type="button" className="button" onClick={onCancel} disabled={busy}>Cancel setup</button>
      </div>
    </div>
  );
});

/**
 * Refused: a different key is pinned for this host. The step's reason (above it) says what to do;
 * this shows both fingerprints to compare and copy. Nothing to accept here.
 */
export function HostKeyChanged({ hostKey }: { hostKey: RemoteHostKey }) {
  return (
    <div className="rs-hostkey changed" role="group" aria-label="Host key fingerprints" data-testid="remote-setup-host-key-changed">
      <dl className="rs-key">
        {hostKey.pinnedFingerprint ? <Fingerprint label="Pinned before" fingerprint={hostKey.pinnedFingerprint} testId="remote-setup-pinned-fingerprint" /> : null}
        <Fingerprint label="Presented now" fingerprint={hostKey.fingerprint} testId="remote-setup-host-key-fingerprint" />
      </dl>
      <p className="rs-hostkey-why">Porthole will not log in to this server until the two match. Check the new one with your provider before changing anything.</p>
    </div>
  );
}
