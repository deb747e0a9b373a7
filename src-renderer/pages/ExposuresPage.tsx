/**
 * Exposures (issue 7/7): add a local host:port with a name and an optional public port; enable,
 * disable, rename, remove; each with its state, public address, problem and traffic.
 */
import { useEffect, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ExposureInput, ExposureStatus, NamesHint, PortalKind } from '../../src-core/host/api/index.js';
import { AccessDialog } from '../components/AccessDialog.js';
import { useConfirm, type ConfirmRequest } from '../components/ConfirmDialog.js';
import { CopyButton } from '../components/CopyButton.js';
import { EmptyState } from '../components/EmptyState.js';
import { ExposureUrl } from '../components/ExposureUrl.js';
import { GlobeIcon, PauseIcon, PlayIcon, PlusIcon, ServerIcon, TrashIcon } from '../components/Icons.js';
import { ExposureStatePill } from '../components/StatusPill.js';
import { formatBytes, formatRate } from '../format.js';
import { accessSummary, primaryUrl } from '../state/exposure-names.js';
import { ADD_FORM, exposureProblem, hasUsableAddress, localAddressOf, parseExposureForm, shareableAddress } from '../state/exposures.js';
import { useAppStore } from '../state/store.js';

/** `#/exposures/new` (the Overview's "Expose a port…") puts the cursor in the form. */
export const NEW_EXPOSURE_HASH = '#/exposures/new';

const PORTAL_TEXT: Record<PortalKind, string> = {
  local: 'Built-in portal: public ports open on this machine.',
  porthole: 'Porthole server: it opens public ports from its allowed range.',
  v2ray: 'V2Ray server: apply Server setup there to open the public ports.',
};

/** Where exposures go, from what the engine says about them (all share one portal). */
export function portalKindOf(exposures: readonly ExposureStatus[]): PortalKind | null {
  return exposures.find((exposure) => exposure.portalKind !== null)?.portalKind ?? null;
}

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

interface FormFields {
  localHost: string;
  localPort: string;
  name: string;
  publicPort: string;
}

const EMPTY_FORM: FormFields = { localHost: '127.0.0.1', localPort: '', name: '', publicPort: '' };

/** What the form would change on an exposure that already serves its local address, or null. */
export function changeOfExisting(exposures: readonly ExposureStatus[], input: ExposureInput): { existing: ExposureStatus; patch: { name?: string; publicPort?: number | null } } | null {
  const host = input.localHost ?? '127.0.0.1';
  const existing = exposures.find((exposure) => exposure.localHost === host && exposure.localPort === input.localPort);
  if (!existing) return null;
  const patch: { name?: string; publicPort?: number | null } = {};
  if (input.name !== undefined && input.name !== existing.name) patch.name = input.name;
  if (input.publicPort !== undefined && input.publicPort !== existing.publicPort) patch.publicPort = input.publicPort;
  return Object.keys(patch).length > 0 ? { existing, patch } : null;
}

function changeQuestion({ existing, patch }: NonNullable<ReturnType<typeof changeOfExisting>>): ConfirmRequest<'change' | 'keep'> {
  const moves = 'publicPort' in patch;
  const where = moves ? (patch.publicPort === null || patch.publicPort === undefined ? 'a public port the portal picks' : `public port ${patch.publicPort}`) : '';
  const label = moves ? `Move it to ${patch.publicPort ?? 'any port'}` : `Rename it to “${patch.name ?? ''}”`;
  return {
    kind: 'exposure-exists',
    title: `${localAddressOf(existing)} is already exposed as “${existing.name}”`,
    body: moves ? (
      <p>
        {hasUsableAddress(existing) ? <>Its public address <code className="mono">{existing.publicAddress}</code> may already be shared. </> : null}
        Moving it to {where} closes that address{hasUsableAddress(existing) ? ': whoever has it gets no answer' : ''}.
        {patch.name !== undefined ? ` It would also be renamed to “${patch.name}”.` : ''}
      </p>
    ) : <p>Rename it to “{patch.name}”? Its public address stays the same.</p>,
    choices: [{ id: 'change', label, tone: moves ? 'danger' : undefined }, { id: 'keep', label: 'Keep it as it is', tone: 'primary' }],
    initial: 'keep',
    cancel: 'keep',
  };
}

function AddExposureForm() {
  const { addExposure, updateExposure, error, busy, dismiss } = useAppStore(useShallow((state) => ({
    addExposure: state.addExposure, updateExposure: state.updateExposure, error: state.exposureErrors[ADD_FORM] ?? null, busy: ADD_FORM in state.exposureBusy, dismiss: state.dismissExposureError,
  })));
  const [ask, dialog] = useConfirm();
  const [fields, setFields] = useState<FormFields>(EMPTY_FORM);
  const [fieldError, setFieldError] = useState<{ field: keyof FormFields; message: string } | null>(null);
  const portInput = useRef<HTMLInputElement>(null);
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);

  useEffect(() => {
    if (hash !== NEW_EXPOSURE_HASH) return;
    portInput.current?.focus();
    portInput.current?.scrollIntoView({ block: 'nearest' });
  }, [hash]);

  const change = (field: keyof FormFields) => (event: { target: { value: string } }) => {
    setFields((current) => ({ ...current, [field]: event.target.value }));
    if (fieldError?.field === field) setFieldError(null);
    if (error) dismiss(ADD_FORM);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const parsed = parseExposureForm(fields);
    if (!parsed.ok) {
      setFieldError({ field: parsed.field, message: parsed.message });
      return;
    }
    setFieldError(null);
    const clear = () => setFields((current) => ({ ...EMPTY_FORM, localHost: current.localHost }));
    const change = changeOfExisting(useAppStore.getState().exposures, parsed.input);
    if (change) {
      // Issue 4/7: a second "Expose" of the same local port used to rename the exposure and move its
      // public port silently, turning an address someone was given into "Refused". Now it asks.
      const answer = await ask(changeQuestion(change));
      if (answer === 'change' && await updateExposure(change.existing.id, { ...change.patch, enabled: true })) clear();
      return;
    }
    if (await addExposure(parsed.input)) clear();
  };

  const invalid = (field: keyof FormFields) => (fieldError?.field === field ? { 'aria-invalid': true, 'aria-describedby': 'add-exposure-error' } : {});
  const shown = fieldError?.message ?? error?.message ?? null;

  return (
    <form className="exposure-form" onSubmit={(event) => void submit(event)} aria-label="Expose a local port" noValidate>
      <div className="form-fields">
        <label className="form-field host">
          <span className="label">Local host</span>
          <input className="input mono" value={fields.localHost} onChange={change('localHost')} placeholder="127.0.0.1" autoComplete="off" spellCheck={false} {...invalid('localHost')} />
        </label>
        <label className="form-field port">
          <span className="label">Local port</span>
          <input ref={portInput} className="input mono" value={fields.localPort} onChange={change('localPort')} inputMode="numeric" placeholder="3000" required autoComplete="off" {...invalid('localPort')} />
        </label>
        <label className="form-field name">
          <span className="label">Name <span className="faint">(optional)</span></span>
          <input className="input" value={fields.name} onChange={change('name')} placeholder={fields.localPort ? `localhost:${fields.localPort}` : 'my web app'} maxLength={60} autoComplete="off" {...invalid('name')} />
        </label>
        <label className="form-field port public">
          <span className="label">Public port <span className="faint">(optional)</span></span>
          <input className="input mono" value={fields.publicPort} onChange={change('publicPort')} inputMode="numeric" placeholder="any" autoComplete="off" {...invalid('publicPort')} />
        </label>
        <button type="submit" className="button primary" disabled={busy}><PlusIcon />{busy ? 'Exposing…' : 'Expose'}</button>
      </div>
      {shown ? <div className="notice error" role="alert" id="add-exposure-error" data-testid="add-exposure-error">{shown}</div> : null}
      {dialog}
    </form>
  );
}

function Traffic({ exposure }: { exposure: ExposureStatus }) {
  return (
    <div className="exposure-traffic num" aria-label={`Traffic of ${exposure.name}`} data-testid="exposure-traffic" data-bytes-down={exposure.bytesDown} data-bytes-up={exposure.bytesUp}>
      <span className="u" title="Up: bytes and current rate">↑ <b>{formatBytes(exposure.bytesUp)}</b> <span className="faint">{formatRate(exposure.upRate)}</span></span>
      <span className="d" title="Down: bytes and current rate">↓ <b>{formatBytes(exposure.bytesDown)}</b> <span className="faint">{formatRate(exposure.downRate)}</span></span>
      <span className="faint">{exposure.openConnections} open</span>
    </div>
  );
}

/** What stands in for the public address while there is none to give out. */
function addressHint(exposure: ExposureStatus): string {
  switch (exposure.state) {
    case 'disabled': return 'not exposed';
    case 'offline': return 'waiting for a link to the portal';
    case 'requesting': return 'asking the portal for a port…';
    case 'refused': return exposure.publicPort !== null ? `no public port (asked for ${exposure.publicPort})` : 'no public port';
    default: return '—';
  }
}

/** Who can open a built-in portal address: this machine only, or the LAN (issue 4/7). */
function ReachNote({ exposure }: { exposure: ExposureStatus }) {
  const lan = useAppStore((state) => state.localPortal?.lan ?? false);
  if (exposure.portalKind !== 'local') return null;
  return lan
    ? <span className="reach-note warn" data-testid="reach-note" data-reach="lan" title="The built-in portal listens on your network (Settings): anyone on it can open this address.">your network</span>
    : <span className="reach-note" data-testid="reach-note" data-reach="local" title="The built-in portal listens on 127.0.0.1: only this machine can open this address. Settings can open it to your network; a server gives a public one.">this machine only</span>;
}

/**
 * The exposure's addresses: its URL first (its name at the portal, with Copy and the label edited
 * in place), and the raw host:port under it; or host:port alone at a portal without names.
 */
export function PublicAddress({ exposure }: { exposure: ExposureStatus }) {
  const named = primaryUrl(exposure);
  if (named) {
    return (
      <span className="public-address named">
        <ExposureUrl exposure={exposure} url={named} />
        {/* Its own domain, when the portal serves it too (the second name it answers with). */}
        {exposure.urls?.slice(1).map((url) => <ExposureUrl key={url} exposure={exposure} url={url} />)}
        {exposure.access?.basicAuth
          // The portal turns visitors of the raw port away: it cannot ask them for the password.
          ? <span className="address-secondary faint" data-testid="raw-port-closed" title="A password can only be asked for by name: the portal turns visitors of the raw port away.">raw port closed: password set</span>
          : hasUsableAddress(exposure) ? <RawAddress exposure={exposure} /> : null}
      </span>
    );
  }
  if (!hasUsableAddress(exposure)) {
    const wanted = exposure.publicPort !== null && exposure.state !== 'refused' ? ` (port ${exposure.publicPort} wanted)` : '';
    return <span className="faint public-address" data-testid="public-address-hint">{addressHint(exposure)}{wanted}</span>;
  }
  // The row shows host:port (it must fit, port included); Copy gives the URL, scheme included for HTTP.
  const url = shareableAddress(exposure) ?? exposure.publicAddress;
  const http = url !== exposure.publicAddress;
  return (
    <span className="public-address">
      <code className="mono address" data-testid="public-address" data-url={url} title={exposure.state === 'setup-needed' ? 'Where Server setup puts it' : url}>{exposure.publicAddress}</code>
      <CopyButton text={url} what={`the public address of ${exposure.name}`} />
      {http || exposure.portalKind === 'local' ? (
        <span className="address-notes">
          {http ? <span className="scheme-note" data-testid="public-scheme" title="The local service answered an HTTP request: Copy gives the address as an http:// link">http</span> : null}
          <ReachNote exposure={exposure} />
        </span>
      ) : null}
    </span>
  );
}

/** host:port under a URL: for what names cannot reach (other machines on the LAN, a non-HTTP client). */
function RawAddress({ exposure }: { exposure: ExposureStatus & { publicAddress: string } }) {
  const url = shareableAddress(exposure) ?? exposure.publicAddress;
  return (
    <span className="address-secondary">
      <code className="mono" data-testid="public-address" data-url={url} title={url}>{exposure.publicAddress}</code>
      <CopyButton text={url} what={`the public address of ${exposure.name}`} />
      <ReachNote exposure={exposure} />
    </span>
  );
}

/**
 * A Porthole server that gives no names: the line its owner can add, with the server's IP filled
 * in (sslip.io resolves it with no DNS setup, so ACME works at once).
 */
function NamesHintNote({ hint }: { hint: NamesHint }) {
  return (
    <div className="notice info flat names-hint" role="status" data-testid="names-hint">
      <span className="grow">
        <b>Give exposures names</b> (<code className="mono">https://web.{hint.domain}</code>): add <code className="mono names-snippet" data-testid="names-hint-snippet">{hint.snippet}</code> to the portal's <code className="mono">exposures</code> on the server, then restart it.
        {' '}{hint.wildcardDns
          ? <>sslip.io resolves every name under <code className="mono">{hint.domain}</code> to the server, so certificates come with no DNS setup.</>
          : <>It needs a wildcard DNS record <code className="mono">*.{hint.domain}</code> pointing at the server.</>}
      </span>
      <CopyButton text={hint.snippet} what="the names line" />
    </div>
  );
}

/**
 * Where the built-in portal's addresses reach (issue 4/7): this machine only unless the user opened
 * it to the network in Settings; a server gives an address the internet reaches.
 */
function LocalPortalNote() {
  const info = useAppStore((state) => state.localPortal);
  const listen = info?.listen ?? '127.0.0.1';
  const namesProblem = info?.namesProblem ? <> <span data-testid="local-names-problem">No names: {info.namesProblem}.</span></> : null;
  if (info?.lan) {
    return (
      <div className="notice warn flat reach" role="status" data-testid="local-portal-note" data-reach="lan">
        <span className="grow">
          <b>Your network can reach these addresses.</b> The built-in portal listens on <code className="mono">{listen}</code> and gives out <code className="mono">{info.publicHost}</code>: anyone on this network can open the exposed services.
          {info.namesPort ? <> Names under <code className="mono">localhost</code> open on this machine only: give others the {info.publicHost}:port address.</> : null}
          {namesProblem}
          {' '}<a href="#/settings">Change in Settings</a> · <a href="#/profiles">Connect a server</a> for an address on the internet.
        </span>
      </div>
    );
  }
  return (
    <div className="notice info flat reach" role="status" data-testid="local-portal-note" data-reach="local">
      <span className="grow">
        <b>Only this machine can open these addresses</b> (the built-in portal listens on <code className="mono">127.0.0.1</code>).{namesProblem}
        {' '}To share: <a href="#/settings">let your network reach them</a> (Settings, off by default), or <a href="#/profiles">connect a server</a> for a public address.
      </span>
    </div>
  );
}

/** Opens Server setup for the active profile (a V2Ray portal needs its lines). */
export function ServerSetupButton({ className = 'button small' }: { className?: string }) {
  const { profile, openServerSetup } = useAppStore(useShallow((state) => ({ profile: state.status?.profile ?? null, openServerSetup: state.openServerSetup })));
  if (!profile) return null;
  return <button type="button" className={className} onClick={() => void openServerSetup(profile, 'v2ray')}><ServerIcon />Server setup</button>;
}

function ExposureRow({ exposure }: { exposure: ExposureStatus }) {
  const { updateExposure, removeExposure, error, busy, dismiss, paused, activeProfile } = useAppStore(useShallow((state) => ({
    updateExposure: state.updateExposure, removeExposure: state.removeExposure, error: state.exposureErrors[exposure.id] ?? null,
    busy: exposure.id in state.exposureBusy, dismiss: state.dismissExposureError, paused: state.exposuresPaused, activeProfile: state.status?.profile ?? null,
  })));
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [accessOpen, setAccessOpen] = useState(false);
  const access = accessSummary(exposure.access);
  const [editing, setEditing] = useState<{ name: string; publicPort: string } | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const problem = exposureProblem(exposure);
  const local = localAddressOf(exposure);

  const saveEdit = async (event: FormEvent) => {
    event.preventDefault();
    if (!editing) return;
    const parsed = parseExposureForm({ localHost: exposure.localHost, localPort: String(exposure.localPort), name: editing.name, publicPort: editing.publicPort });
    if (!parsed.ok) {
      setEditError(parsed.message);
      return;
    }
    const name = editing.name.trim();
    if (!name) {
      setEditError('A name is 1–60 characters.');
      return;
    }
    if (await updateExposure(exposure.id, { name, publicPort: parsed.input.publicPort ?? null })) {
      setEditing(null);
      setEditError(null);
    }
  };

  return (
    <li className={`exposure-row${exposure.enabled && !paused ? '' : ' off'}`} data-testid="exposure-row" data-exposure-id={exposure.id} data-local={local} data-state={exposure.state} data-portal={exposure.portalKind ?? undefined} aria-label={`${exposure.name}, ${local}`}>
      <label className="switch" title={exposure.enabled ? 'Exposed: click to stop' : 'Off: click to expose'}>
        <input
          type="checkbox"
          role="switch"
          checked={exposure.enabled}
          disabled={busy}
          aria-label={`Expose ${exposure.name}`}
          onChange={(event) => void updateExposure(exposure.id, { enabled: event.target.checked })}
        />
        <span className="track" aria-hidden="true" />
      </label>
      {editing ? (
        <form className="exposure-edit" onSubmit={(event) => void saveEdit(event)} aria-label={`Edit ${exposure.name}`}>
          <label><span className="sr-only">Name</span><input className="input" value={editing.name} maxLength={60} aria-label="Name" onChange={(event) => setEditing({ ...editing, name: event.target.value })} /></label>
          <label><span className="sr-only">Public port</span><input className="input mono" value={editing.publicPort} inputMode="numeric" placeholder="any" aria-label="Public port" onChange={(event) => setEditing({ ...editing, publicPort: event.target.value })} /></label>
          <button type="submit" className="button small primary" disabled={busy}>Save</button>
          <button type="button" className="button small" onClick={() => { setEditing(null); setEditError(null); }}>Cancel</button>
        </form>
      ) : (
        <div className="exposure-name">
          <span className="title" data-testid="exposure-name">{exposure.name}</span>
          <span className="mono faint" data-testid="exposure-local" title={local}>{local}</span>
          {access ? <span className="access-badge" data-testid="access-badge" title="Who may visit: checked at the portal">{access}</span> : null}
        </div>
      )}
      <div className="exposure-state"><ExposureStatePill state={exposure.state} /></div>
      <div className="exposure-address"><PublicAddress exposure={exposure} /></div>
      <Traffic exposure={exposure} />
      <div className="exposure-actions">
        {exposure.state === 'setup-needed' || (exposure.state === 'offline' && activeProfile) ? <ServerSetupButton /> : null}
        {confirmRemove ? (
          <>
            <button type="button" className="button small danger" disabled={busy} onClick={() => void removeExposure(exposure.id).then((ok) => { if (!ok) setConfirmRemove(false); })}>Remove “{exposure.name}”</button>
            <button type="button" className="button small" onClick={() => setConfirmRemove(false)}>Keep</button>
          </>
        ) : (
          <>
            {!editing ? <button type="button" className="button small" onClick={() => setEditing({ name: exposure.name, publicPort: exposure.publicPort === null ? '' : String(exposure.publicPort) })} aria-label={`Edit ${exposure.name}`}>Edit</button> : null}
            <button type="button" className="button small" onClick={() => setAccessOpen(true)} aria-label={`Access to ${exposure.name}`} aria-haspopup="dialog">Access</button>
            <a className="button small" href={`#/inspector/${encodeURIComponent(exposure.id)}`} aria-label={`Inspect requests to ${exposure.name}`} title="See the HTTP requests it gets, replay them">Inspect</a>
            <button type="button" className="icon-button danger" aria-label={`Remove ${exposure.name}`} title="Remove" onClick={() => setConfirmRemove(true)}><TrashIcon /></button>
          </>
        )}
      </div>
      {problem ? <div className={`exposure-problem ${problem.tone}`} role={problem.tone === 'danger' ? 'alert' : 'status'} data-testid="exposure-problem">{problem.text}</div> : null}
      {editError ?? error ? (
        <div className="exposure-problem danger" role="alert" data-testid="exposure-error">
          <span className="grow">{editError ?? error?.message}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => { setEditError(null); dismiss(exposure.id); }}>×</button>
        </div>
      ) : null}
      {accessOpen ? <AccessDialog exposure={exposure} onClose={() => setAccessOpen(false)} /> : null}
    </li>
  );
}

/** "Paused — Resume", or "Pause all" while there is something to pause. */
export function PauseControl({ compact = false }: { compact?: boolean }) {
  const { paused, count, setPaused, busy, error } = useAppStore(useShallow((state) => ({
    paused: state.exposuresPaused, count: state.exposures.length, setPaused: state.setExposuresPaused, busy: 'pause' in state.exposureBusy, error: state.exposureErrors.pause ?? null,
  })));
  if (!paused && count === 0) return null;
  return (
    <span className="row pause-control">
      {error ? <span className="badge danger" role="alert">{error.message}</span> : null}
      {paused ? (
        <>
          <span className="pill warn" data-testid="exposures-paused">Paused</span>
          <button type="button" className={`button${compact ? ' small' : ''} primary`} disabled={busy} onClick={() => void setPaused(false)}><PlayIcon />Resume</button>
        </>
      ) : (
        <button type="button" className={`button${compact ? ' small' : ''}`} disabled={busy} onClick={() => void setPaused(true)}><PauseIcon />Pause all</button>
      )}
    </span>
  );
}

export function ExposuresPage() {
  const exposures = useAppStore((state) => state.exposures);
  const paused = useAppStore((state) => state.exposuresPaused);
  const live = exposures.filter((exposure) => exposure.state === 'live').length;
  const portal = portalKindOf(exposures);
  const namesHint = portal === 'porthole' ? exposures.find((exposure) => exposure.namesHint)?.namesHint ?? null : null;

  return (
    <div className="stack exposures-page">
      <section className="card" aria-labelledby="add-exposure-title">
        <div className="card-header">
          <h2 id="add-exposure-title">Expose a local port</h2>
          <span className="faint">{portal ? PORTAL_TEXT[portal] : 'With no server configured, the built-in portal opens the public port on this machine.'}</span>
        </div>
        <div className="card-body"><AddExposureForm /></div>
      </section>

      <section className="card" aria-labelledby="exposures-title">
        <div className="card-header">
          <h2 id="exposures-title">Exposures</h2>
          <span className="faint num" data-testid="exposures-summary">{exposures.length === 0 ? 'none yet' : `${live} live of ${exposures.length}`}</span>
          <span className="spacer" style={{ flex: 1 }} />
          {portal === 'v2ray' ? <ServerSetupButton /> : null}
          <PauseControl compact />
        </div>
        {paused ? <div className="notice info flat" role="status">All exposures are paused: their public ports are closed until you resume. Each keeps its own on/off switch.</div> : null}
        {portal === 'local' && exposures.length > 0 ? <LocalPortalNote /> : null}
        {namesHint ? <NamesHintNote hint={namesHint} /> : null}
        {exposures.length === 0 ? (
          <EmptyState icon={<GlobeIcon />} title="Nothing is exposed">
            Give a local port above (a web server on <code>localhost:3000</code>, say) and it gets a public address to share.
          </EmptyState>
        ) : (
          <ul className="exposure-list" aria-label="Exposures">
            {exposures.map((exposure) => <ExposureRow key={exposure.id} exposure={exposure} />)}
          </ul>
        )}
      </section>
    </div>
  );
}
