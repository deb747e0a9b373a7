/**
 * "Invite someone…" on a portal profile (issue 7/7): a name (optional) makes an invite — a user
 * of the portal of its own — shown as a `porthole://` link and a QR code; below, the portal's
 * users with their links, exposures, connections and bytes (fetched again every 2 s while the
 * dialog is open and the page visible), each revocable. A modal `<dialog>`: focus stays inside,
 * Escape closes. React passes the Revoke question's own `close` up the component tree, so only
 * this dialog's own close closes it.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { PortalInvite } from '../../../src-core/host/api/index.js';
import { INVITES_REFRESH_MS, useInvitesStore } from '../../state/invites.js';
import { useAppStore } from '../../state/store.js';
import { useConfirm } from '../ConfirmDialog.js';
import { AlertIcon, PlusIcon } from '../Icons.js';
import { InviteLinkPanel } from './InviteLinkPanel.js';
import { PortalUsersTable } from './PortalUsersTable.js';
import './invites.css';

/** Fetches the list again every INVITES_REFRESH_MS while the page is visible. */
function useLiveRefresh(active: boolean, refresh: () => Promise<void>): void {
  useEffect(() => {
    if (!active) return undefined;
    const tick = () => {
      if (document.visibilityState === 'visible') void refresh();
    };
    const timer = setInterval(tick, INVITES_REFRESH_MS);
    document.addEventListener('visibilitychange', tick);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', tick);
    };
  }, [active, refresh]);
}

function InviteForm({ onCreate, creating, error }: { onCreate(name: string, address: string): Promise<boolean>; creating: boolean; error: string | null }) {
  const id = useId();
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (await onCreate(name, address)) setName('');
  };
  return (
    <form className="invite-form" onSubmit={(event) => void submit(event)} aria-describedby={error ? `${id}-error` : undefined} data-testid="invite-form">
      <label className="form-field invite-name">
        <span className="label">Who is it for? <span className="faint">(optional)</span></span>
        <input className="input" value={name} onChange={(event) => setName(event.target.value)} placeholder="e.g. alice" maxLength={64} autoComplete="off" spellCheck={false} autoFocus data-testid="invite-name" />
      </label>
      <label className="form-field invite-address">
        <span className="label">Address bridges dial <span className="faint">(optional)</span></span>
        <input className="input mono" value={address} onChange={(event) => setAddress(event.target.value)} placeholder="from the profile" autoComplete="off" spellCheck={false} data-testid="invite-address" />
      </label>
      <button type="submit" className="button primary" disabled={creating} data-testid="invite-create"><PlusIcon />{creating ? 'Making…' : 'Make invite'}</button>
      {error ? <p id={`${id}-error`} className="invite-error" role="alert" data-testid="invite-error"><AlertIcon />{error}</p> : null}
    </form>
  );
}

export function InviteDialog({ profile, onClose }: { profile: string; onClose(): void }) {
  const state = useInvitesStore(useShallow((store) => ({
    list: store.list, listError: store.listError, creating: store.creating, createError: store.createError, shown: store.shown, revoking: store.revoking, notice: store.notice, current: store.profile,
  })));
  const actions = useInvitesStore(useShallow((store) => ({ open: store.open, close: store.close, refresh: store.refresh, create: store.create, show: store.show, revoke: store.revoke })));
  const running = useAppStore((store) => store.status?.state === 'running' && store.status.profile === profile);
  const dialog = useRef<HTMLDialogElement>(null);
  const [ask, confirmDialog] = useConfirm();

  useEffect(() => {
    void actions.open(profile);
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => actions.close();
  }, [profile, actions.open, actions.close]);
  useLiveRefresh(state.current === profile, actions.refresh);

  const revoke = async (invite: PortalInvite) => {
    const label = invite.name || invite.id.slice(0, 8);
    const answer = await ask({
      kind: 'revoke-invite',
      title: `Revoke “${label}”?`,
      body: <p>Its bridge is cut off now and refused when it dials again; its exposures on this portal close. The link stops working for good. Other bridges stay connected.</p>,
      choices: [{ id: 'revoke', label: 'Revoke', tone: 'danger' }, { id: 'cancel', label: 'Cancel' }],
      initial: 'cancel',
      cancel: 'cancel',
    });
    if (answer === 'revoke') await actions.revoke(invite.id);
  };

  const { list } = state;
  const problem = list?.problem ?? null;
  return (
    <dialog ref={dialog} className="invite-dialog" aria-labelledby="invite-title" onClose={(event) => { if (event.target === event.currentTarget) onClose(); }} data-testid="invite-dialog">
      <div className="invite-inner">
        <div className="card-header">
          <h2 id="invite-title">Invite someone <span className="faint">to “{profile}”</span></h2>
          <span className="spacer" style={{ flex: 1 }} />
          <button type="button" className="icon-button" aria-label="Close Invite" onClick={() => dialog.current?.close()}>×</button>
        </div>
        <div className="invite-body">
          <p className="invite-intro">
            Each invite is a user of this portal of its own: give the link or the QR code, and their Porthole links a bridge here
            without any config file. You see what each one uses below, and can cut anyone off.
          </p>
          {state.listError ? <div className="notice error" role="alert"><AlertIcon /><span>{state.listError}</span></div> : null}
          {problem ? (
            <div className="notice error" role="alert" data-testid="invite-problem"><AlertIcon /><span>This profile cannot make invites: {problem}</span></div>
          ) : (
            <InviteForm creating={state.creating} error={state.createError} onCreate={async (name, address) => (await actions.create({ ...(name.trim() ? { name: name.trim() } : {}), ...(address.trim() ? { address: address.trim() } : {}) })) !== null} />
          )}
          {state.shown ? <InviteLinkPanel invite={state.shown} onHide={() => actions.show(null)} /> : null}
          {list && !problem ? (
            <section className="invite-users" aria-labelledby="invite-users-title">
              <h3 id="invite-users-title">Users <span className="faint">({list.invites.length})</span></h3>
              <PortalUsersTable invites={list.invites} running={running} revoking={state.revoking} shownId={state.shown?.id ?? null} onShow={actions.show} onRevoke={(invite) => void revoke(invite)} />
            </section>
          ) : null}
          {!list && !state.listError ? <p className="muted" role="status">Reading the portal’s users…</p> : null}
        </div>
        <div className="invite-footer">
          <span className={`faint invite-live${state.notice?.tone === 'error' ? ' error' : ''}`} role="status" aria-live="polite" data-testid="invite-notice">{state.notice?.text ?? ''}</span>
          <span className="spacer" style={{ flex: 1 }} />
          <button type="button" className="button primary" onClick={() => dialog.current?.close()}>Done</button>
        </div>
      </div>
      {confirmDialog}
    </dialog>
  );
}
