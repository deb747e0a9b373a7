/** The servers set up from this machine, each with "Set up again" and "Remove from server…". */
import type { RemoteServer } from '../../../src-core/host/api/index.js';
import { transportLabel } from '../../state/remote-setup.js';
import { ServerIcon, TrashIcon } from '../Icons.js';

function installedOn(at: number): string {
  return new Date(at).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function ServerList({ servers, disabled, onSetUpAgain, onRemove }: {
  servers: RemoteServer[];
  disabled: boolean;
  onSetUpAgain(server: RemoteServer): void;
  onRemove(server: RemoteServer): void;
}) {
  if (servers.length === 0) return null;
  return (
    <section className="card rs-servers" aria-labelledby="remote-servers-title" data-testid="remote-servers">
      <div className="card-header"><h2 id="remote-servers-title">Servers set up from here</h2></div>
      <ul aria-labelledby="remote-servers-title">
        {servers.map((server) => {
          const where = `${server.user}@${server.host}${server.port === 22 ? '' : `:${server.port}`}`;
          return (
            <li key={`${server.host}:${server.port}`} className="rs-server" data-testid="remote-server" data-host={server.host}>
              <div className="rs-server-head">
                <ServerIcon />
                <span className="mono rs-server-where" title={where}>{where}</span>
              </div>
              <div className="rs-server-facts">
                {transportLabel(server.transport)} on port {server.linkPort} · “{server.profile}” · {server.unit.scope === 'system' ? 'system service' : 'user service'} · since {installedOn(server.installedAt)}
              </div>
              <div className="rs-server-actions">
                <button type="button" className="button small" onClick={() => onSetUpAgain(server)} disabled={disabled}>Set up again</button>
                <button type="button" className="button small danger" onClick={() => onRemove(server)} disabled={disabled} aria-label={`Remove from server ${server.host}`}><TrashIcon />Remove from server…</button>
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
