/**
 * Server setup (Profiles, and Exposures for a V2Ray portal): the portal-side config that matches a
 * bridge profile and its exposures, for V2Ray or Porthole, with the one command that runs it, the
 * steps that install V2Ray as a service behind an open firewall, and Check, which tries it all.
 * A modal `<dialog>`: focus stays inside, Escape closes, the page behind is inert.
 */
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ServerCheckStep, ServerSetup, SetupFile } from '../../src-core/host/api/index.js';
import { describeSetupError, SETUP_TRANSPORTS, suggestedNamesDomain, type ServerSetupNames, type ServerSetupTab, type ServerSetupView } from '../state/server-setup.js';
import { useAppStore } from '../state/store.js';
import { CopyButton } from './CopyButton.js';
import { AlertIcon, CheckIcon, CloseIcon, DownloadIcon } from './Icons.js';

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

/** A command to copy, under a short label. */
function CommandBlock({ label, command, what, testId }: { label: string; command: string; what: string; testId: string }) {
  return (
    <div className="setup-block">
      <div className="setup-block-head">
        <span className="label">{label}</span>
        <span className="spacer" style={{ flex: 1 }} />
        <CopyButton text={command} what={what} />
      </div>
      <pre className="setup-command mono" data-testid={testId}>{command}</pre>
    </div>
  );
}

/** A file to copy or download, with the command to run after. */
function SetupFileBlock({ file, label, testId }: { file: SetupFile; label: string; testId: { command: string; fileName: string; text: string } }) {
  return (
    <>
      <CommandBlock label="Command" command={file.command} what="the command" testId={testId.command} />
      <div className="setup-block">
        <div className="setup-block-head">
          <span className="label mono" data-testid={testId.fileName}>{file.fileName}</span>
          <span className="spacer" style={{ flex: 1 }} />
          <CopyButton text={file.text} what={file.fileName} />
          <button type="button" className="button small" onClick={() => download(file.fileName, file.text)} aria-label={`Download ${file.fileName}`}><DownloadIcon />Download</button>
        </div>
        <pre className="setup-text mono" tabIndex={0} aria-label={`${label} ${file.fileName}`} data-testid={testId.text}>{file.text}</pre>
      </div>
    </>
  );
}

/** Install V2Ray, put the config in place, test it, run it as a service, open exactly its ports. */
function InstallSteps({ setup }: { setup: ServerSetup }) {
  return (
    <section className="setup-install" aria-labelledby="setup-install-title" data-testid="setup-install">
      <h3 id="setup-install-title" className="label">Install on the server</h3>
      <p className="hint">
        Debian or Ubuntu with systemd; the firewall opens TCP <span className="mono" data-testid="setup-ports">{setup.install.ports.join(', ')}</span> and nothing else.
      </p>
      <ol className="setup-steps">
        {setup.install.steps.map((step) => (
          <li key={step.id} className="setup-step" data-testid={`setup-step-${step.id}`}>
            <div className="setup-step-head">
              <span className="setup-step-title">{step.title}</span>
              <span className="spacer" style={{ flex: 1 }} />
              <CopyButton text={step.command} what={`the command to ${step.title.toLowerCase()}`} />
            </div>
            <pre className="setup-command mono" data-testid="setup-step-command">{step.command}</pre>
            {step.note ? <p className="hint">{step.note}</p> : null}
            {step.alternative ? (
              <>
                <div className="setup-step-head">
                  <span className="hint">{step.alternative.label}</span>
                  <span className="spacer" style={{ flex: 1 }} />
                  <CopyButton text={step.alternative.command} what="the command to install V2Ray with the v2fly script" />
                </div>
                <pre className="setup-command mono" data-testid="setup-step-alternative">{step.alternative.command}</pre>
              </>
            ) : null}
            {step.file ? (
              <details>
                <summary className="faint">Show {step.file.fileName}</summary>
                <div className="setup-block">
                  <div className="setup-block-head">
                    <span className="label mono">{step.file.fileName}</span>
                    <span className="spacer" style={{ flex: 1 }} />
                    <CopyButton text={step.file.text} what={step.file.fileName} />
                  </div>
                  <pre className="setup-text mono" tabIndex={0} aria-label={`Unit file ${step.file.fileName}`}>{step.file.text}</pre>
                </div>
              </details>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

const STEP_MARK: Record<ServerCheckStep['state'], { icon: ReactNode; label: string }> = {
  ok: { icon: <CheckIcon />, label: 'passed' },
  failed: { icon: <CloseIcon />, label: 'failed' },
  skipped: { icon: null, label: 'not tried' },
};

/** Check: tries the link as configured and each exposure's public port; one line per step. */
function CheckSection({ view }: { view: ServerSetupView }) {
  const runCheck = useAppStore((state) => state.checkServerSetup);
  const check = view.check;
  const running = check?.state === 'running';
  const result = check?.result ?? null;
  const failures = result?.steps.filter((step) => step.state === 'failed').length ?? 0;
  const summary = running ? 'Checking…'
    : check?.state === 'failed' ? `Check could not run: ${check.error}`
      : result ? (result.ok ? `All ${result.steps.length} steps passed: the server is set up.` : `${failures} of ${result.steps.length} steps failed.`) : '';
  return (
    <section className="setup-check" aria-labelledby="setup-check-title" data-testid="setup-check" data-state={check?.state ?? 'idle'}>
      <div className="setup-check-head">
        <div>
          <h3 id="setup-check-title" className="label">Check the server</h3>
          <p className="hint">Dials {result?.serverAddress ?? 'the server'} as the bridge profile above would, then {view.setup?.names ? 'asks each exposure’s name over HTTPS' : 'each exposure’s public port'}, from this machine.</p>
        </div>
        <span className="spacer" style={{ flex: 1 }} />
        <button type="button" className="button primary" onClick={() => void runCheck()} disabled={running || view.loading} data-testid="setup-check-run">
          {running ? 'Checking…' : result ? 'Check again' : 'Check'}
        </button>
      </div>
      <p className={`setup-check-summary${result && !running ? (result.ok ? ' ok' : ' failed') : ''}${check?.state === 'failed' ? ' failed' : ''}`} role="status" data-testid="setup-check-summary">{summary}</p>
      {result ? (
        <ul className="setup-check-steps" aria-label="Check results" aria-busy={running} data-testid="setup-check-steps">
          {result.steps.map((step, index) => (
            <li key={`${step.kind}-${step.exposureId ?? index}`} className={`setup-check-step ${step.state}`} data-state={step.state} data-kind={step.kind}>
              <span className="setup-check-mark" aria-hidden="true">{STEP_MARK[step.state].icon}</span>
              <span className="sr-only">{STEP_MARK[step.state].label}: </span>
              <span className="setup-check-text">
                <span className="setup-check-title" data-testid="setup-check-title">{step.title}</span>
                {step.detail ? <span className="setup-check-detail" data-testid="setup-check-detail">{step.detail}</span> : null}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}

const TRANSPORT_LABEL = Object.fromEntries(SETUP_TRANSPORTS.map((entry) => [entry.id, entry.label]));

/** How the bridge reaches the portal: the transport, and for TLS the server name, for WebSocket the path. */
function TransportPicker({ view, setup }: { view: ServerSetupView; setup: ServerSetup | null }) {
  const setOptions = useAppStore((state) => state.setServerSetupOptions);
  const kind = view.options.transport ?? setup?.transport.kind ?? 'tcp';
  const [serverName, setServerName] = useState('');
  const [path, setPath] = useState('');
  // Show what the configs were made with once they come (the profile's values, or the defaults).
  useEffect(() => { setServerName(setup?.transport.serverName ?? view.options.serverName ?? ''); }, [setup?.transport.serverName, view.options.serverName]);
  useEffect(() => { setPath(setup?.transport.path ?? view.options.path ?? ''); }, [setup?.transport.path, view.options.path]);
  const tls = kind === 'tls' || kind === 'ws-tls';
  const ws = kind === 'ws' || kind === 'ws-tls';
  const hint = SETUP_TRANSPORTS.find((entry) => entry.id === kind)?.hint;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void setOptions({ ...(tls ? { serverName: serverName.trim() } : {}), ...(ws ? { path: path.trim() } : {}) });
  };
  return (
    <form className="setup-transport" onSubmit={submit} aria-label="Link transport" data-testid="setup-transport">
      <fieldset className="setup-transport-kinds">
        <legend className="label">How the bridge reaches the portal</legend>
        {SETUP_TRANSPORTS.map((entry) => (
          <label key={entry.id} className="check">
            <input type="radio" name="setup-transport" value={entry.id} checked={kind === entry.id} onChange={() => void setOptions({ transport: entry.id })} />
            {entry.label}
            {setup?.transport.current === entry.id ? <span className="faint"> (profile now)</span> : null}
          </label>
        ))}
      </fieldset>
      {hint ? <p className="hint">{hint}</p> : null}
      {tls || ws ? (
        <div className="form-fields">
          {tls ? (
            <label className="form-field setup-server-name">
              <span className="label">Server name (on the certificate)</span>
              <input className="input mono" value={serverName} onChange={(event) => setServerName(event.target.value)} placeholder="vps.example.com" autoComplete="off" spellCheck={false} data-testid="setup-server-name" />
            </label>
          ) : null}
          {ws ? (
            <label className="form-field setup-path">
              <span className="label">WebSocket path</span>
              <input className="input mono" value={path} onChange={(event) => setPath(event.target.value)} placeholder="/porthole" autoComplete="off" spellCheck={false} data-testid="setup-path" />
            </label>
          ) : null}
          <button type="submit" className="button" disabled={view.loading}>Apply</button>
        </div>
      ) : null}
    </form>
  );
}

const NAMES_CHOICES: { id: ServerSetupNames; label: string }[] = [
  { id: 'none', label: 'None' },
  { id: 'caddy', label: 'Caddy' },
  { id: 'nginx', label: 'nginx' },
];

/**
 * Names for a V2Ray portal, which cannot route by name: Caddy or nginx on the server maps
 * `https://<label>.<domain>` to each exposure's dokodemo-door port (then on loopback only).
 */
function NamesSection({ view, setup }: { view: ServerSetupView; setup: ServerSetup | null }) {
  const setNames = useAppStore((state) => state.setServerSetupNames);
  const names = setup?.names ?? null;
  const suggested = setup ? suggestedNamesDomain(setup.serverAddress) : null;
  const [domain, setDomain] = useState('');
  useEffect(() => { setDomain(names?.domain ?? view.options.namesDomain ?? ''); }, [names?.domain, view.options.namesDomain]);
  const choice = view.names;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void setNames(choice, domain.trim());
  };
  return (
    <section className="setup-panel setup-names" aria-labelledby="setup-names-title" data-testid="setup-names" data-names={choice}>
      <h3 id="setup-names-title" className="label">Names: <span className="mono">https://&lt;name&gt;.&lt;domain&gt;</span> for each exposure</h3>
      <p className="hint">
        V2Ray cannot route by name; Caddy or nginx on the server can. Each exposure’s port then listens on 127.0.0.1 only, and the firewall opens 80 and 443 instead of those ports.
      </p>
      <div className="segmented" role="group" aria-label="Who serves the names">
        {NAMES_CHOICES.map((entry) => (
          <button type="button" key={entry.id} aria-pressed={choice === entry.id} onClick={() => void setNames(entry.id)} disabled={view.loading}>{entry.label}</button>
        ))}
      </div>
      {choice !== 'none' ? (
        <>
          <form className="form-fields" onSubmit={submit} aria-label="Names domain">
            <label className="form-field setup-names-domain">
              <span className="label">Domain (every name under it points at the server)</span>
              <input className="input mono" value={domain} onChange={(event) => setDomain(event.target.value)} placeholder={suggested ?? 'tunnel.example.com'} autoComplete="off" spellCheck={false} data-testid="setup-names-domain" />
            </label>
            <button type="submit" className="button" disabled={view.loading}>Apply</button>
            {suggested && suggested !== names?.domain ? (
              <button type="button" className="button" onClick={() => void setNames(choice, suggested)} disabled={view.loading}>Use {suggested}</button>
            ) : null}
          </form>
          {suggested && names?.domain === suggested ? (
            <p className="hint">DNS: nothing to set up; every name under <code className="mono">{suggested}</code> already points at the server (sslip.io). A domain of your own works too.</p>
          ) : (
            <p className="hint">
              DNS: a wildcard record <code className="mono">*.{names?.domain ?? 'your.domain'}</code> pointing at the server
              {suggested ? <>, or <code className="mono">{suggested}</code>, whose names already point at it (sslip.io)</> : null}.
            </p>
          )}
        </>
      ) : null}
      {choice !== 'none' && names ? (
        <>
          {names.names.length === 0 ? <p className="muted">No exposures yet: each one added gets a name here.</p> : (
            <ul className="setup-names-list" aria-label="Names" data-testid="setup-names-list">
              {names.names.map((name) => (
                <li key={name.exposureId}>
                  <code className="mono" data-testid="setup-name-url">{name.url}</code>
                  <span className="faint"> → 127.0.0.1:{name.port} ({name.name})</span>
                  <CopyButton text={name.url} what={`the address of ${name.name}`} />
                </li>
              ))}
            </ul>
          )}
          {choice === 'caddy' ? (
            <>
              <p className="hint">Caddy gets a certificate for each name by itself (ports 80 and 443 open) and sets X-Forwarded-For and -Proto; the command adds one <code className="mono">import</code> line to /etc/caddy/Caddyfile.</p>
              <SetupFileBlock file={names.caddy} label="Caddy names" testId={{ command: 'setup-names-command', fileName: 'setup-names-file-name', text: 'setup-names-text' }} />
            </>
          ) : (
            <>
              <p className="hint">First the certificates: certbot answers Let’s Encrypt through the running nginx, one certificate per name. Then the servers, which nginx loads only once the certificates exist.</p>
              <CommandBlock label="Certificates first" command={names.certbot} what="the certbot command" testId="setup-names-certbot" />
              <SetupFileBlock file={names.nginx} label="nginx names" testId={{ command: 'setup-names-command', fileName: 'setup-names-file-name', text: 'setup-names-text' }} />
            </>
          )}
        </>
      ) : null}
    </section>
  );
}

/** The bridge profile that matches the configs: already the saved one, or one click to save it. */
function BridgeProfileBlock({ view, setup }: { view: ServerSetupView; setup: ServerSetup }) {
  const apply = useAppStore((state) => state.applyServerSetupBridge);
  const saving = view.bridgeSave?.state === 'saving';
  return (
    <div className="setup-bridge" data-testid="setup-bridge" data-changed={setup.bridge.changed}>
      <span className="label">This machine: the bridge profile</span>
      {setup.bridge.changed ? (
        <div className="notice info">
          <span className="grow">
            “{view.profile}” links over <b>{TRANSPORT_LABEL[setup.transport.current]}</b>; these configs expect <b>{TRANSPORT_LABEL[setup.transport.kind]}</b>
            {setup.transport.serverName ? <> for <code className="mono">{setup.transport.serverName}</code></> : null}
            {setup.transport.path ? <> at <code className="mono">{setup.transport.path}</code></> : null}
            {' '}on <code className="mono">{setup.serverAddress}</code>. Save the matching bridge profile so both ends agree.
          </span>
          <button type="button" className="button small primary" onClick={() => void apply()} disabled={saving || view.loading} data-testid="setup-bridge-apply">
            {saving ? 'Saving…' : `Use in “${view.profile}”`}
          </button>
        </div>
      ) : (
        <p className="muted">“{view.profile}” already links this way: nothing to change on this machine.</p>
      )}
      {view.bridgeSave && view.bridgeSave.state !== 'saving' ? (
        <div className={`notice ${view.bridgeSave.state === 'saved' ? 'success' : 'error'}`} role="status" data-testid="setup-bridge-result">{view.bridgeSave.message}</div>
      ) : null}
      <details>
        <summary className="faint">Show the bridge profile</summary>
        <pre className="setup-text mono" tabIndex={0} aria-label={`Bridge profile ${setup.bridge.fileName}`} data-testid="setup-bridge-text">{setup.bridge.text}</pre>
      </details>
    </div>
  );
}

export function ServerSetupDialog() {
  const view = useAppStore((state) => state.serverSetup);
  const { close, setTab, refresh, setProxy } = useAppStore(useShallow((state) => ({
    close: state.closeServerSetup, setTab: state.setServerSetupTab, refresh: state.refreshServerSetup, setProxy: state.setServerSetupProxy,
  })));
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
            {setup || view.error?.code === 'PH_SETUP_BAD_INPUT' ? <TransportPicker view={view} setup={setup} /> : null}
            {!setup && view.error?.code === 'PH_SETUP_BAD_INPUT' && view.options.namesDomain ? <NamesSection view={view} setup={null} /> : null}
            {setup && part && tab ? (
              <>
                <p className="setup-intro">
                  The bridge dials <code className="mono" data-testid="setup-server-address">{setup.serverAddress}</code>
                  {setup.proxies ? <> (nginx or Caddy there; the portal listens on <code className="mono">{setup.transport.portalListen}</code>)</> : null}.
                  {' '}On that server, save the file below and run the command.
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
                  <SetupFileBlock file={part} label={`${tab.label} config`} testId={{ command: 'setup-command', fileName: 'setup-file-name', text: 'setup-config' }} />
                  {tab.id === 'v2ray' ? <NamesSection view={view} setup={setup} /> : <p className="hint">A Porthole portal serves <span className="mono">https://&lt;name&gt;.&lt;domain&gt;</span> itself: add <code className="mono">names</code> to its exposures (see Public names in the docs).</p>}
                  {tab.id === 'v2ray' ? <InstallSteps setup={setup} /> : null}
                </div>
                {setup.proxies ? (
                  <div className="setup-panel setup-proxy" data-testid="setup-proxy" data-proxy={view.proxy}>
                    <span className="label">In front of the portal: TLS and the WebSocket path</span>
                    <div className="segmented" role="group" aria-label="Web server in front of the portal">
                      {(['nginx', 'caddy'] as const).map((proxy) => (
                        <button type="button" key={proxy} aria-pressed={view.proxy === proxy} onClick={() => setProxy(proxy)}>{proxy === 'nginx' ? 'nginx' : 'Caddy'}</button>
                      ))}
                    </div>
                    <p className="hint">
                      {view.proxy === 'nginx'
                        ? <>nginx ends TLS with the certificate at <code className="mono">{setup.transport.certificateFile}</code> and passes <code className="mono">{setup.transport.path}</code> to the portal; everything else gets 404.</>
                        : <>Caddy gets a certificate for <code className="mono">{setup.transport.serverName}</code> by itself and passes <code className="mono">{setup.transport.path}</code> to the portal; everything else gets 404.</>}
                    </p>
                    <SetupFileBlock file={setup.proxies[view.proxy]} label={view.proxy === 'nginx' ? 'nginx config' : 'Caddyfile'} testId={{ command: `setup-${view.proxy}-command`, fileName: `setup-${view.proxy}-file-name`, text: `setup-${view.proxy}` }} />
                  </div>
                ) : null}
                <BridgeProfileBlock view={view} setup={setup} />
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
                <CheckSection view={view} />
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
