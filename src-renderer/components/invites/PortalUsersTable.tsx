/**
 * The portal's users (each invite is one) with what they use now: links, exposures, visitor
 * connections and bytes through their exposures since the engine started. Revoke asks first.
 */
import type { PortalInvite } from '../../../src-core/host/api/index.js';
import { formatBytes } from '../../format.js';
import { shortId } from '../../state/invites.js';
import { TrashIcon } from '../Icons.js';

interface PortalUsersTableProps {
  invites: readonly PortalInvite[];
  running: boolean;
  revoking: string | null;
  shownId: string | null;
  onShow(id: string): void;
  onRevoke(invite: PortalInvite): void;
}

export function PortalUsersTable({ invites, running, revoking, shownId, onShow, onRevoke }: PortalUsersTableProps) {
  const last = invites.length === 1;
  return (
    <div className="invites-table-wrap">
      <table className="invites-table" aria-label="Users of this portal" data-testid="invite-users">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">ID</th>
            <th scope="col" className="right" title="Bridge links open now">Links</th>
            <th scope="col" className="right" title="Exposures its bridges hold now">Exposures</th>
            <th scope="col" className="right" title="Visitor connections through its exposures: open now / in all">Connections</th>
            <th scope="col" className="right" title="Bytes to visitors, through its exposures">↓ Down</th>
            <th scope="col" className="right" title="Bytes from visitors, through its exposures">↑ Up</th>
            <th scope="col"><span className="sr-only">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {invites.map((invite) => (
            <tr key={invite.id} data-testid="invite-user" data-name={invite.name} aria-current={shownId === invite.id ? 'true' : undefined}>
              <th scope="row" className="name">{invite.name || <span className="faint">(no name)</span>}</th>
              <td className="mono" title={invite.id}>{shortId(invite.id)}</td>
              <td className="num right" data-testid="invite-links">{invite.traffic.links}</td>
              <td className="num right">{invite.traffic.exposures}</td>
              <td className="num right">{invite.traffic.openConnections} / {invite.traffic.totalConnections}</td>
              <td className="num right" data-testid="invite-bytes-down">{formatBytes(invite.traffic.bytesDown)}</td>
              <td className="num right">{formatBytes(invite.traffic.bytesUp)}</td>
              <td className="actions">
                <button type="button" className="button small" disabled={!invite.link} title={invite.link ? 'Show the link and QR code' : 'No public address known: make an invite with one first'} onClick={() => onShow(invite.id)} aria-label={`Show the link for ${invite.name || shortId(invite.id)}`}>Link</button>
                <button
                  type="button"
                  className="button small danger"
                  disabled={revoking !== null || last}
                  title={last ? 'The last user cannot go: a portal inbound needs one' : `Cut ${invite.name || 'this user'} off`}
                  onClick={() => onRevoke(invite)}
                  aria-label={`Revoke ${invite.name || shortId(invite.id)}`}
                >
                  <TrashIcon />{revoking === invite.id ? 'Revoking…' : 'Revoke'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!running ? <p className="hint">The engine is not running this profile: figures show once it does.</p> : null}
    </div>
  );
}
