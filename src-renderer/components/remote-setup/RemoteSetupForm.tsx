/**
 * Set up my server: where to log in (server, SSH port, user; the ssh-agent or a key file, never a
 * password), how bridges reach the portal (plain TCP, TLS, WebSocket + TLS with a domain), and the
 * advanced choices. Checked with the contract's schema on submit; each problem sits by its field
 * (aria-describedby) and the first one gets the focus.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { useShallow } from 'zustand/react/shallow';
import {
  defaultLinkPort, needsDomain, REMOTE_TRANSPORTS, useRemoteSetupStore, type RemoteSetupField, type RemoteSetupForm as FormFields,
} from '../../state/remote-setup.js';
import { AlertIcon, ServerIcon } from '../Icons.js';

const ADVANCED: readonly RemoteSetupField[] = ['linkPort', 'exposureRange', 'profileName'];
const SERVER_FILES: readonly RemoteSetupField[] = ['certificateFile', 'serverKeyFile'];

export const fieldId = (field: RemoteSetupField) => `remote-setup-${field}`;
const problemId = (field: RemoteSetupField) => `remote-setup-${field}-problem`;
const hintId = (field: RemoteSetupField) => `remote-setup-${field}-hint`;

/** A labelled input with its hint and, when the check found one, its problem right under it. */
function TextField({ field, label, hint, className, input }: {
  field: RemoteSetupField;
  label: ReactNode;
  hint?: ReactNode;
  className?: string;
  input: { type?: 'text' | 'password' | 'email'; placeholder?: string; inputMode?: 'numeric' | 'text'; autoComplete?: string; mono?: boolean; required?: boolean };
}) {
  const { value, problem, setField } = useRemoteSetupStore(useShallow((state) => ({ value: state.form[field] as string, problem: state.problems[field], setField: state.setField })));
  const describedBy = [hint ? hintId(field) : '', problem ? problemId(field) : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`form-field rs-field${className ? ` ${className}` : ''}`}>
      <label className="label" htmlFor={fieldId(field)}>{label}</label>
      <input
        id={fieldId(field)}
        className={`input${input.mono ? ' mono' : ''}`}
        type={input.type ?? 'text'}
        value={value}
        placeholder={input.placeholder}
        inputMode={input.inputMode}
        autoComplete={input.autoComplete ?? 'off'}
        spellCheck={false}
        aria-required={input.required || undefined}
        aria-invalid={problem ? true : undefined}
        aria-describedby={describedBy}
        onChange={(event) => setField(field, event.target.value as FormFields[typeof field])}
        data-testid={`remote-setup-${field}`}
      />
      {hint ? <span className="rs-hint" id={hintId(field)}>{hint}</span> : null}
      {problem ? <span className="rs-problem" id={problemId(field)} data-testid="remote-setup-problem" data-field={field}>{problem}</span> : null}
    </div>
  );
}

/** Radio choices as one group with a visible legend. */
function Choice<T extends string>({ name, legend, legendHidden = false, value, options, onChange }: {
  name: string;
  legend: string;
  /** The section's title already says it: the legend stays for screen readers only. */
  legendHidden?: boolean;
  value: T;
  options: { id: T; label: string; note?: string }[];
  onChange(value: T): void;
}) {
  return (
    <fieldset className="rs-choice">
      <legend className={legendHidden ? 'sr-only' : 'label'}>{legend}</legend>
      <div className="rs-choice-options">
        {options.map((option, index) => (
          <label key={option.id} className="rs-option" data-checked={value === option.id || undefined}>
            <input type="radio" name={name} value={option.id} checked={value === option.id} onChange={() => onChange(option.id)} id={index === 0 ? fieldId(name as RemoteSetupField) : undefined} />
            <span className="rs-option-text">
              <span className="rs-option-label">{option.label}</span>
              {option.note ? <span className="rs-option-note">{option.note}</span> : null}
            </span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

export function RemoteSetupForm() {
  const { form, problems, busy, error, focusField } = useRemoteSetupStore(useShallow((state) => ({
    form: state.form, problems: state.problems, busy: state.busy, error: state.error, focusField: state.focusField,
  })));
  const { setField, submit, clearFocusField, dismissError } = useRemoteSetupStore(useShallow((state) => ({
    setField: state.setField, submit: state.submit, clearFocusField: state.clearFocusField, dismissError: state.dismissError,
  })));
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const [serverFilesOpen, setServerFilesOpen] = useState(() => form.certificateFile !== '' || form.serverKeyFile !== '');
  const tls = needsDomain(form.transport);
  const transport = REMOTE_TRANSPORTS.find((entry) => entry.id === form.transport);
  const advancedProblem = ADVANCED.some((field) => problems[field] !== undefined);
  const serverFilesProblem = SERVER_FILES.some((field) => problems[field] !== undefined);

  // A refused submit: open what hides the first problem, then put the focus on it.
  useEffect(() => {
    if (!focusField) return;
    if (ADVANCED.includes(focusField)) setAdvancedOpen(true);
    if (SERVER_FILES.includes(focusField)) setServerFilesOpen(true);
    const timer = requestAnimationFrame(() => {
      document.getElementById(fieldId(focusField))?.focus();
      clearFocusField();
    });
    return () => cancelAnimationFrame(timer);
  }, [focusField, clearFocusField]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void submit();
  };

  return (
    <form className="card rs-form" onSubmit={onSubmit} noValidate aria-labelledby="remote-setup-form-title" data-testid="remote-setup-form">
      <div className="card-header">
        <h2 id="remote-setup-form-title">Your server</h2>
        <span className="faint rs-header-note">a Linux server with systemd, reachable over SSH</span>
      </div>
      <div className="rs-form-body">
        <p className="rs-intro">
          Porthole logs in over SSH, installs its one-file portal as a service, opens its port, and points this machine at it.
          You see every step as it runs, and <b>Remove from server</b> undoes it.
        </p>

        <div className="rs-section" role="group" aria-labelledby="remote-setup-login-title">
          <h3 className="rs-section-title" id="remote-setup-login-title">Log in</h3>
          <div className="rs-row">
            <TextField field="host" label="Server" className="rs-grow" input={{ placeholder: 'vps.example.com or 203.0.113.10', mono: true, required: true }} />
            <TextField field="port" label="SSH port" className="rs-port" input={{ inputMode: 'numeric', placeholder: '22', mono: true }} />
            <TextField field="user" label="User" className="rs-user" input={{ placeholder: 'root', mono: true, required: true, autoComplete: 'username' }} />
          </div>
          <Choice
            name="authKind"
            legend="With"
            value={form.authKind}
            onChange={(value) => setField('authKind', value)}
            options={[
              { id: 'agent', label: 'ssh-agent', note: 'the keys your running agent holds' },
              { id: 'key', label: 'A key file', note: 'a private key on the machine Porthole runs on' },
            ]}
          />
          {form.authKind === 'key' ? (
            <div className="rs-row">
              <TextField field="keyFile" label="Private key file" className="rs-grow" input={{ placeholder: '~/.ssh/id_ed25519', mono: true, required: true }} />
              <TextField
                field="passphrase"
                label={<>Passphrase <span className="faint">(if the key has one)</span></>}
                className="rs-passphrase"
                hint="Used for this run only, never saved."
                input={{ type: 'password', autoComplete: 'off' }}
              />
            </div>
          ) : null}
          <p className="rs-note" data-testid="remote-setup-no-password">Porthole never asks for a password and never stores one: it logs in with a key.</p>
        </div>

        <div className="rs-section" role="group" aria-labelledby="remote-setup-transport-title">
          <h3 className="rs-section-title" id="remote-setup-transport-title">How bridges reach it</h3>
          <Choice name="transport" legend="Transport" legendHidden value={form.transport} onChange={(value) => setField('transport', value)} options={REMOTE_TRANSPORTS.map(({ id, label }) => ({ id, label }))} />
          {transport ? <p className="rs-hint rs-transport-hint">{transport.hint}</p> : null}
          {tls ? (
            <>
              <div className="rs-row">
                <TextField field="domain" label="Domain" className="rs-domain" hint="Its DNS record must point at the server." input={{ placeholder: 'vps.example.com', mono: true, required: true }} />
                <TextField
                  field="acmeEmail"
                  label={<>Email for Let’s Encrypt <span className="faint">(optional)</span></>}
                  className="rs-grow"
                  hint="For its notices if renewal ever fails. It checks the domain on port 80, which the setup opens."
                  input={{ type: 'email', placeholder: 'you@example.com', autoComplete: 'email' }}
                />
              </div>
              <details className="rs-details" open={serverFilesOpen || serverFilesProblem} onToggle={(event) => setServerFilesOpen(event.currentTarget.open)}>
                <summary>A certificate already on the server <span className="faint">(optional)</span></summary>
                <p className="rs-hint">Leave these empty and the portal gets a certificate for the domain from Let’s Encrypt by itself.</p>
                <div className="rs-row">
                  <TextField field="certificateFile" label="Certificate file on the server" className="rs-grow" input={{ placeholder: '/etc/letsencrypt/live/vps.example.com/fullchain.pem', mono: true }} />
                  <TextField field="serverKeyFile" label="Its key file on the server" className="rs-grow" input={{ placeholder: '/etc/letsencrypt/live/vps.example.com/privkey.pem', mono: true }} />
                </div>
              </details>
            </>
          ) : null}
        </div>

        <details className="rs-details rs-advanced" open={advancedOpen || advancedProblem} onToggle={(event) => setAdvancedOpen(event.currentTarget.open)}>
          <summary>Advanced: ports and profile name</summary>
          <div className="rs-row">
            <TextField field="linkPort" label="Link port" className="rs-port-wide" hint="The port bridges dial." input={{ inputMode: 'numeric', placeholder: String(defaultLinkPort(form.transport)), mono: true }} />
            <TextField field="exposureRange" label="Exposure ports" className="rs-range" hint="Public ports the portal may open." input={{ placeholder: '20000-20099', mono: true }} />
            <TextField field="profileName" label="Profile name" className="rs-grow" hint="The bridge profile written here." input={{ placeholder: `server ${form.host.trim() || '<server>'}` }} />
          </div>
        </details>
      </div>
      {error ? (
        <div className="notice error flat rs-form-error" role="alert" data-testid="remote-setup-error">
          <AlertIcon />
          <span className="grow">{error}</span>
          <button type="button" className="icon-button" aria-label="Dismiss" onClick={dismissError}>×</button>
        </div>
      ) : null}
      <div className="rs-footer">
        <span className="faint">Each step is shown as it runs; a failed one says why and can be retried.</span>
        <span className="spacer" />
        <button type="submit" className="button primary" disabled={busy !== null} data-testid="remote-setup-submit">
          <ServerIcon />{busy === 'start' ? 'Starting…' : 'Set up server'}
        </button>
      </div>
    </form>
  );
}
