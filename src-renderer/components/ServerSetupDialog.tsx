/**
 * Server setup (Profiles, and Exposures for a V2Ray portal): the portal-side config that matches a
 * bridge profile and its exposures, for V2Ray or Porthole, with the one command that runs it.
 * A modal `<dialog>`: focus stays inside, Escape closes, the page behind is inert.
 */
import { useEffect, useRef, type KeyboardEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { describeSetupError, type ServerSetupTab } from '../state/server-setup.js';
import { useAppStore } from '../state/store.js';
import { CopyButton } from './CopyButton.js';
import { AlertIcon, DownloadIcon } from './Icons.js';

const TABS: { id: ServerSetupTab; label: string; hint: string }[] = [
  { id: 'v2ray', label: 'V2Ray', hint: 'For a server running V2Ray 4.x: the portal, its link inbound and a dokodemo-door inbound per exposure. Public ports are fixed in this file.' },
  { id: 'porthole', label: 'Porthole', hint: 'For a server running Porthole headless: the same portal, plus the range of public ports bridges may ask for, so one-click exposures need no edits on the server.' },
];

function download(fileName: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = fileName;
  anchor.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function ServerSetupDialog() {
  const view = useAppStore((state) => state.serverSetup);
  const { close, setTab, refresh } = useAppStore(useShallow((state) => ({ close: state.closeServerSetup, setTab: state.setServerSetupTab, refresh: state.refreshServerSetup })));
  const dialog = useRef<HTMLDialogElement>(null);
  const tabRefs = useRef<Record<ServerSetupTab, HTMLButtonElement | null>>({ v2ray: null, porthole: null });
  const open = view !== null;

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  const onTabKey = (event: KeyboardEvent) => {
    if (!view || (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight' && event.key !== 'Home' && event.key !== 'End')) return;
    event.preventDefault();
    const index = TABS.findIndex((tab) => tab.id === view.tab);
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : (index + (event.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length;
    const tab = TABS[next];
    if (!tab) return;
    setTab(tab.id);
    tabRefs.current[tab.id]?.focus();
  };

  const setup = view?.setup ?? null;
  const tab = TABS.find((entry) => entry.id === view?.tab) ?? TABS[0];
  const part = setup && tab ? setup[tab.id] : null;
  const problem = view?.error ? describeSetupError(view.error) : null;

  return (
    <dialog ref={dialog} className="setup-dialog" aria-labelledby="setup-title" onClose={close} data-testid="server-setup">
      {view ? (
        <div className="setup-inner">
          <div className="card-header">
            <h2 id="setup-title">Server setup <span className="faint">for “{view.profile}”</span></h2>
            <span className="spacer" style={{ flex: 1 }} />
            <button type="button" className="icon-button" aria-label="Close Server setup" onClick={close}>×</button>
          </div>
          <div className="setup-body">
            {problem ? (
              <div className="notice error" role="alert" data-testid="setup-error" data-code={view.error?.code}>
                <AlertIcon />
                <span><b>{problem.title}.</b> {problem.text}</span>
              </div>
            ) : null}
            {view.loading && !setup ? <p className="muted" role="status">Making the portal-side config…</p> : null}
            {setup && part && tab ? (
              <>
                <p className="setup-intro">
                  The bridge in this profile dials <code className="mono" data-testid="setup-server-address">{setup.serverAddress}</code>. On that server, save the file below and run the command.
                </p>
                <div className="segmented setup-tabs" role="tablist" aria-label="Server software" onKeyDown={onTabKey}>
                  {TABS.map((entry) => (
                    <button
                      type="button"
                      role="tab"
                      key={entry.id}
                      id={`setup-tab-${entry.id}`}
                      ref={(element) => { tabRefs.current[entry.id] = element; }}
                      aria-selected={view.tab === entry.id}
                      aria-controls="setup-panel"
                      tabIndex={view.tab === entry.id ? 0 : -1}
                      onClick={() => setTab(entry.id)}
                    >
                      {entry.label}
                    </button>
                  ))}
                </div>
                <div role="tabpanel" id="setup-panel" aria-labelledby={`setup-tab-${tab.id}`} className="setup-panel" data-tab={tab.id}>
                  <p className="hint">{tab.hint}</p>
                  <div className="setup-block">
                    <div className="setup-block-head">
                      <span className="label">Command</span>
                      <span className="spacer" style={{ flex: 1 }} />
                      <CopyButton text={part.command} what="the command" />
                    </div>
                    <pre className="setup-command mono" data-testid="setup-command">{part.command}</pre>
                  </div>
                  <div className="setup-block">
                    <div className="setup-block-head">
                      <span className="label mono" data-testid="setup-file-name">{part.fileName}</span>
                      <span className="spacer" style={{ flex: 1 }} />
                      <CopyButton text={part.text} what={part.fileName} />
                      <button type="button" className="button small" onClick={() => download(part.fileName, part.text)} aria-label={`Download ${part.fileName}`}><DownloadIcon />Download</button>
                    </div>
                    <pre className="setup-text mono" tabIndex={0} aria-label={`${tab.label} config ${part.fileName}`} data-testid="setup-config">{part.text}</pre>
                  </div>
                </div>
                <div className="setup-exposures">
                  <span className="label">Exposures in this config</span>
                  {setup.exposures.length === 0 ? (
                    <p className="muted">None yet: add one on the Exposures page and its public port appears here.</p>
                  ) : (
                    <ul data-testid="setup-exposures">
                      {setup.exposures.map((line) => <li key={line} className="mono">{line}</li>)}
                    </ul>
                  )}
                </div>
              </>
            ) : null}
          </div>
          <div className="setup-footer">
            <span className="faint">{view.loading ? 'Refreshing…' : 'Made from the saved profile and the current exposures.'}</span>
            <span className="spacer" style={{ flex: 1 }} />
            <button type="button" className="button" onClick={() => void refresh()} disabled={view.loading}>Refresh</button>
            <button type="button" className="button primary" onClick={close}>Done</button>
          </div>
        </div>
      ) : null}
    </dialog>
  );
}
