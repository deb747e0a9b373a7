/**
 * Set up my server (issue 7/7), at `#/remote-setup` (Profiles, the Overview and the tray link
 * here): the form, or the run as it goes (picked up with `getRemoteSetup` when the window opens
 * mid-run, then live from `onDidChangeRemoteSetup`), beside the servers set up from here.
 * One polite live region says each step's change; focus moves are RunPanel's.
 */
import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RemoteServer } from '../../src-core/host/api/index.js';
import { RemoteSetupForm } from '../components/remote-setup/RemoteSetupForm.js';
import { RemoveDialog, type RemoveTarget } from '../components/remote-setup/RemoveDialog.js';
import { RunPanel } from '../components/remote-setup/RunPanel.js';
import { ServerList } from '../components/remote-setup/ServerList.js';
import '../components/remote-setup/remote-setup.css';
import { formOfServer, isActive, useRemoteSetupStore, watchRemoteSetup } from '../state/remote-setup.js';
import { engineService } from '../state/service.js';
import { useAppStore } from '../state/store.js';

/** What the run will do, before it starts: so nothing on the server comes as a surprise. */
function WhatHappens() {
  return (
    <section className="card rs-plan" aria-labelledby="remote-plan-title">
      <div className="card-header"><h2 id="remote-plan-title">What happens on the server</h2></div>
      <ol className="rs-plan-list">
        <li>Log in over SSH; you check and accept the server’s host key once.</li>
        <li>Check the system: Linux with systemd, the architecture, free ports.</li>
        <li>Upload the one-file portal and write its config with a fresh user id.</li>
        <li>Install it as a systemd service (system-wide with root or sudo, else your user’s own) and start it.</li>
        <li>Open its ports in ufw or firewalld, or tell you exactly what to open.</li>
        <li>Save and activate the matching bridge profile on this machine.</li>
      </ol>
    </section>
  );
}

export function RemoteSetupPage() {
  const { view, run, servers, busy, announcement, lastAuth } = useRemoteSetupStore(useShallow((state) => ({
    view: state.view, run: state.run, servers: state.servers, busy: state.busy, announcement: state.announcement, lastAuth: state.lastAuth,
  })));
  const { load, remove, showForm, showRun } = useRemoteSetupStore(useShallow((state) => ({
    load: state.load, remove: state.remove, showForm: state.showForm, showRun: state.showRun,
  })));
  const linkStatus = useAppStore((state) => state.linkStatus);
  const [removing, setRemoving] = useState<RemoveTarget | null>(null);
  const wasLive = useRef(false);

  useEffect(() => watchRemoteSetup(engineService()), []);
  // On opening, and when the link to the service comes back (a run may have moved on meanwhile).
  useEffect(() => {
    if (linkStatus === 'live' && !wasLive.current) void load();
    wasLive.current = linkStatus === 'live';
  }, [linkStatus, load]);

  const removeServer = (server: RemoteServer) => setRemoving({ host: server.host, port: server.port, user: server.user, folder: server.folder, profile: server.profile });
  const removeRunTarget = () => {
    if (!run) return;
    const known = servers.find((server) => server.host === run.target.host && server.port === run.target.port);
    setRemoving(known ? { host: known.host, port: known.port, user: run.target.user, folder: known.folder, profile: known.profile } : { ...run.target, ...(run.result ? { profile: run.result.profile } : {}) });
  };
  const newSetup = () => {
    // "Set up another server" starts clean; "Back to the form" after a cancel or removal keeps what was typed.
    if (run?.state === 'done' && run.kind === 'install') showForm({ host: '', domain: '', profileName: '' });
    else showForm();
  };

  const running = isActive(run);
  // The side column holds the servers and, with the form, the plan: without either the run takes the width.
  const side = servers.length > 0 || view === 'form';
  return (
    <div className={`rs-page${side ? '' : ' single'}`} data-testid="remote-setup-page" data-view={view}>
      <div className="rs-main">
        {view === 'form' && running && run ? (
          <div className="notice info rs-elsewhere" role="status">
            <span className="grow">A setup of {run.target.host} is running.</span>
            <button type="button" className="button small" onClick={showRun}>Show it</button>
          </div>
        ) : null}
        {view === 'run' && run ? <RunPanel run={run} onRemove={removeRunTarget} onNewSetup={newSetup} /> : <RemoteSetupForm />}
      </div>
      {side ? (
        <aside className="rs-side" aria-label="Servers">
          <ServerList servers={servers} disabled={busy !== null || running} onSetUpAgain={(server) => showForm(formOfServer(server))} onRemove={removeServer} />
          {view === 'form' ? <WhatHappens /> : null}
        </aside>
      ) : null}
      <p className="sr-only" aria-live="polite" data-testid="remote-setup-announcement">{announcement}</p>
      {removing ? (
        <RemoveDialog
          target={removing}
          lastAuth={lastAuth}
          onRemove={(target) => void remove(target)}
          onClose={() => setRemoving(null)}
        />
      ) : null}
    </div>
  );
}
