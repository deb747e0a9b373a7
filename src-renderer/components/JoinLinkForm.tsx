/**
 * "Join with an invite link" (Profiles page): paste a `porthole://` invite, or a `vmess://` /
 * `vless://` share link plus the portal's reverse domain, and get a bridge profile. The link is
 * read here, as it is typed (src-core/host/api/invites), so a bad one says what is wrong at once;
 * `onCreate` saves the profile through the service.
 */
import { useId, useState, type FormEvent } from 'react';
import { bridgeProfileFromLink, linkKind, type LinkProfile } from '../../src-core/host/api/invites/profile-from-link.js';

interface JoinLinkFormProps {
  /** Saves the profile; resolves false when it was not saved (the page shows why). */
  onCreate(profile: LinkProfile): Promise<boolean>;
  onClose(): void;
}

type Reading = { ok: true; profile: LinkProfile } | { ok: false; message: string } | null;

function read(link: string, domain: string, redirect: string): Reading {
  if (!link.trim()) return null;
  try {
    return { ok: true, profile: bridgeProfileFromLink(link.trim(), { ...(domain.trim() ? { domain: domain.trim() } : {}), ...(redirect.trim() ? { redirect: redirect.trim() } : {}) }) };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

export function JoinLinkForm({ onCreate, onClose }: JoinLinkFormProps) {
  const id = useId();
  const [link, setLink] = useState('');
  const [domain, setDomain] = useState('');
  const [redirect, setRedirect] = useState('');
  const [busy, setBusy] = useState(false);
  const kind = linkKind(link.trim());
  const reading = read(link, domain, redirect);
  // A share link without its domain yet is not wrong, only unfinished: ask, do not scold.
  const waitingForDomain = kind === 'share' && !domain.trim();
  const problem = reading && !reading.ok && !waitingForDomain ? reading.message : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!reading?.ok || busy) return;
    setBusy(true);
    try {
      if (await onCreate(reading.profile)) onClose();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="join-link" aria-labelledby={`${id}-title`} onSubmit={(event) => void submit(event)} data-testid="join-link">
      <h3 id={`${id}-title`}>Join with an invite link</h3>
      <label className="form-field">
        <span className="label">Invite or share link</span>
        <textarea
          className="input"
          rows={3}
          autoFocus
          spellCheck={false}
          placeholder="porthole://join?v=1&… (or vmess://, vless://)"
          value={link}
          onChange={(event) => setLink(event.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={problem ? `${id}-problem` : undefined}
        />
      </label>
      {kind === 'share' ? (
        <label className="form-field">
          <span className="label">Portal's reverse domain</span>
          <input className="input" value={domain} onChange={(event) => setDomain(event.target.value)} placeholder="reverse.portals[].domain" spellCheck={false} />
        </label>
      ) : null}
      <label className="form-field">
        <span className="label">Local service (optional)</span>
        <input className="input" value={redirect} onChange={(event) => setRedirect(event.target.value)} placeholder="127.0.0.1:8080" spellCheck={false} />
      </label>
      {problem ? <div className="notice error" role="alert" id={`${id}-problem`} data-testid="join-error">{problem}</div> : null}
      {reading?.ok ? <p className="muted join-ready">Creates the bridge profile “{reading.profile.name}”.</p> : null}
      <div className="join-actions">
        <button type="submit" className="button primary small" disabled={!reading?.ok || busy}>Create profile</button>
        <button type="button" className="button small" onClick={onClose}>Cancel</button>
      </div>
    </form>
  );
}
