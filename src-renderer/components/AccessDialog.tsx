/**
 * Who may visit an exposure, checked at the portal: a password (HTTP Basic), an allowlist of
 * address ranges, and, for a service that does not speak HTTP, a PROXY protocol header so it
 * learns each visitor's address. The password is never shown again once saved: the field says
 * one is set, and typing replaces it. Also the exposure's own domain, which the portal serves
 * beside its label where its owner allows it (else the portal's reason is shown by the field).
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { ExposureStatus } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { accessPatchOf, parseCustomDomain, type AccessFields } from '../state/exposure-names.js';
import { useAppStore } from '../state/store.js';

function fieldsOf(exposure: ExposureStatus): AccessFields {
  const access = exposure.access;
  return {
    password: access?.basicAuth != null,
    user: access?.basicAuth?.user ?? '',
    secret: '',
    allow: (access?.allow ?? []).join('\n'),
    proxyProtocol: access?.proxyProtocol ? (String(access.proxyProtocol) as '1' | '2') : '',
  };
}

export function AccessDialog({ exposure, onClose }: { exposure: ExposureStatus; onClose(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [fields, setFields] = useState<AccessFields>(() => fieldsOf(exposure));
  const [domain, setDomain] = useState(exposure.customDomain ?? '');
  const [problem, setProblem] = useState<{ field: keyof AccessFields | 'domain' | null; message: string } | null>(null);
  const [saving, setSaving] = useState(false);
  const titleId = useId();
  const errorId = useId();
  const domainHintId = useId();
  const domainRefusalId = useId();
  const hadPassword = exposure.access?.basicAuth != null;
  const named = (exposure.urls?.length ?? 0) > 0;
  // A PROXY header in front of HTTP would break it: offered for other services (or to turn it off).
  const offerProxy = exposure.localHttp !== true || fields.proxyProtocol !== '';

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const set = (field: keyof AccessFields) => (value: string | boolean) => {
    setFields((current) => ({ ...current, [field]: value }));
    if (problem?.field === field) setProblem(null);
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const own = parseCustomDomain(domain);
    if (!own.ok) {
      setProblem({ field: 'domain', message: own.message });
      return;
    }
    const parsed = accessPatchOf(fields, hadPassword);
    if (!parsed.ok) {
      setProblem({ field: parsed.field, message: parsed.message });
      return;
    }
    setSaving(true);
    const { updateExposure, dismissExposureError } = useAppStore.getState();
    const domainChanged = own.domain !== (exposure.customDomain ?? null);
    const ok = await updateExposure(exposure.id, { access: parsed.patch, ...(domainChanged ? { customDomain: own.domain } : {}) });
    setSaving(false);
    if (ok) {
      dialog.current?.close();
      return;
    }
    const refusal = useAppStore.getState().exposureErrors[exposure.id];
    dismissExposureError(exposure.id);
    setProblem({ field: null, message: refusal ? asSentence(refusal.message) : 'The access settings could not be saved.' });
  };

  const invalid = (field: keyof AccessFields | 'domain') => (problem?.field === field ? { 'aria-invalid': true as const, 'aria-describedby': errorId } : {});
  // The portal's reason applies to the domain it was asked for, not to one being typed.
  const refused = exposure.customDomain && domain.trim().toLowerCase() === exposure.customDomain ? exposure.customDomainProblem ?? null : null;
  // The built-in portal has no owner to ask: a server is what serves such a domain.
  const refusal = refused && exposure.portalKind === 'local' ? 'the built-in portal serves names under localhost only: connect a server to serve your own domain' : refused;
  const domainDescribedBy = [domainHintId, refusal ? domainRefusalId : '', problem?.field === 'domain' ? errorId : ''].filter(Boolean).join(' ');

  return (
    <dialog ref={dialog} className="confirm-dialog access-dialog" aria-labelledby={titleId} data-testid="access-dialog" onClose={onClose}>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <h2 id={titleId}>Who may visit “{exposure.name}”</h2>
        <p className="access-scope faint">
          {named
            ? <>Checked at the portal before anything reaches this machine. The allowlist also holds on the public port <code className="mono">{exposure.publicAddress ?? 'host:port'}</code>; with a password, that port turns everyone away (it cannot ask for one), so visitors come by name.</>
            : <>The password and the allowlist guard visitors by name; this exposure has no name at its portal yet, so they take effect once it does.</>}
        </p>

        <fieldset className="access-group">
          <legend>
            <label className="check">
              <input type="checkbox" checked={fields.password} onChange={(event) => set('password')(event.target.checked)} data-testid="access-password-on" />
              Ask for a password
            </label>
          </legend>
          {fields.password ? (
            <div className="access-row">
              <label className="form-field">
                <span className="label">User</span>
                <input className="input" value={fields.user} onChange={(event) => set('user')(event.target.value)} autoComplete="off" spellCheck={false} maxLength={64} data-testid="access-user" {...invalid('user')} />
              </label>
              <label className="form-field">
                <span className="label">Password {hadPassword ? <span className="faint">(set: type to replace)</span> : null}</span>
                <input className="input" type="password" value={fields.secret} placeholder={hadPassword ? '••••••••' : ''} onChange={(event) => set('secret')(event.target.value)} autoComplete="new-password" maxLength={128} data-testid="access-secret" {...invalid('secret')} />
              </label>
            </div>
          ) : null}
        </fieldset>

        <label className="form-field access-group">
          <span className="label">Allow only these addresses <span className="faint">(one range a line, e.g. 203.0.113.0/24; empty: everyone)</span></span>
          <textarea className="input mono access-allow" rows={3} value={fields.allow} onChange={(event) => set('allow')(event.target.value)} spellCheck={false} data-testid="access-allow" {...invalid('allow')} />
        </label>

        {offerProxy ? (
          <label className="form-field access-group">
            <span className="label">PROXY protocol on the public port <span className="faint">(the service must expect it)</span></span>
            <select className="select" value={fields.proxyProtocol} onChange={(event) => set('proxyProtocol')(event.target.value)} data-testid="access-proxy">
              <option value="">Off</option>
              <option value="1">Version 1 (text)</option>
              <option value="2">Version 2 (binary)</option>
            </select>
          </label>
        ) : null}

        <div className="form-field access-group">
          <label className="label" htmlFor={`${domainHintId}-input`}>Your own domain <span className="faint">(optional, e.g. shop.example.com)</span></label>
          <input
            id={`${domainHintId}-input`}
            className="input mono"
            value={domain}
            onChange={(event) => { setDomain(event.target.value); if (problem?.field === 'domain') setProblem(null); }}
            placeholder="shop.example.com"
            autoComplete="off"
            spellCheck={false}
            maxLength={253}
            data-testid="access-domain"
            aria-describedby={domainDescribedBy}
            aria-invalid={problem?.field === 'domain' ? true : undefined}
          />
          <span className="faint access-scope" id={domainHintId}>Point its DNS (A/AAAA or CNAME) at the server; the portal gets its certificate.</span>
          {refusal ? <span className="notice warn access-domain-refusal" id={domainRefusalId} data-testid="access-domain-refusal">Not served: {asSentence(refusal)} It stays reachable by its other addresses.</span> : null}
        </div>

        {problem ? <div className="notice error" role="alert" id={errorId} data-testid="access-error">{problem.message}</div> : null}
        <div className="confirm-actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()}>Cancel</button>
          <button type="submit" className="button primary" disabled={saving}>{saving ? 'Saving…' : 'Save'}</button>
        </div>
      </form>
    </dialog>
  );
}
