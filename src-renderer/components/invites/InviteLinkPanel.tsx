/**
 * One invite's link and QR code: what the portal owner gives the other person. The QR code is
 * the service's SVG shown as an image (state/invites.ts `qrImageSource`), never as markup.
 */
import type { PortalInvite } from '../../../src-core/host/api/index.js';
import { qrImageSource } from '../../state/invites.js';
import { CopyButton } from '../CopyButton.js';

export function InviteLinkPanel({ invite, onHide }: { invite: PortalInvite; onHide(): void }) {
  const source = qrImageSource(invite.qrSvg);
  return (
    <section className="invite-link-panel" aria-labelledby="invite-link-title" data-testid="invite-link-panel">
      <div className="invite-qr">
        {source ? <img src={source} width={176} height={176} alt={`QR code of the invite link for ${invite.name}`} data-testid="invite-qr" /> : <span className="faint">No QR code</span>}
      </div>
      <div className="invite-link-text">
        <div className="invite-link-head">
          <h3 id="invite-link-title">Invite for “{invite.name}”</h3>
          <span className="spacer" style={{ flex: 1 }} />
          <CopyButton text={invite.link} what="the invite link" />
          <button type="button" className="icon-button" aria-label="Hide the invite link" onClick={onHide}>×</button>
        </div>
        <pre className="invite-link mono" tabIndex={0} aria-label="Invite link" data-testid="invite-link">{invite.link}</pre>
        <p className="hint">
          They paste it in Porthole (Profiles → Join with an invite link, or the tray’s Join from clipboard) or scan the code,
          and their bridge links as <b>{invite.name}</b>. Anyone holding this link can do the same until you revoke it.
        </p>
      </div>
    </section>
  );
}
