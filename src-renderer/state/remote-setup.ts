/**
 * Set up my server (issue 7/7): the form (checked with the contract's own schema before it is
 * sent), the run the service reports step by step (`onDidChangeRemoteSetup`), the servers set up
 * from here, and what the page's one polite live region says. Its own small store, like the
 * Inspector's: only the Set up my server page needs it, and it listens while that page is open.
 * A key's passphrase is held in the form only until the run starts (or a retry is sent), never kept.
 */
import { create } from 'zustand';
import type { EngineService, RemoteServer, RemoteServerTarget, RemoteSetup, RemoteSetupRequest, RemoteSetupStep, RemoteSetupTransport } from '../../src-core/host/api/index.js';
import { ENGINE_METHODS } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';

/** What the form holds: text as typed (ports too), so a half-typed value is never lost or coerced. */
export interface RemoteSetupForm {
  host: string;
  port: string;
  user: string;
  authKind: 'agent' | 'key';
  /** The private key file on this machine. */
  keyFile: string;
  /** For this run only: cleared once the run starts. */
  passphrase: string;
  transport: RemoteSetupTransport;
  domain: string;
  /** TLS without files: an address for Let’s Encrypt's expiry notices (optional). */
  acmeEmail: string;
  /** TLS: files already on the server (both or neither). */
  certificateFile: string;
  serverKeyFile: string;
  linkPort: string;
  exposureRange: string;
  profileName: string;
}

export type RemoteSetupField = keyof RemoteSetupForm;

/** In the order the form shows them: the first with a problem gets the focus. */
export const FORM_FIELDS: readonly RemoteSetupField[] = [
  'host', 'port', 'user', 'authKind', 'keyFile', 'passphrase', 'transport', 'domain', 'acmeEmail', 'certificateFile', 'serverKeyFile', 'linkPort', 'exposureRange', 'profileName',
];

export const EMPTY_FORM: RemoteSetupForm = {
  host: '', port: '22', user: '', authKind: 'agent', keyFile: '', passphrase: '',
  transport: 'tcp', domain: '', acmeEmail: '', certificateFile: '', serverKeyFile: '', linkPort: '', exposureRange: '', profileName: '',
};

/** The transports offered, in the order the form lists them. */
export const REMOTE_TRANSPORTS: { id: RemoteSetupTransport; label: string; hint: string }[] = [
  { id: 'tcp', label: 'Plain TCP', hint: 'Bridges dial the portal’s port directly. Simplest: VMess encrypts the traffic, but it looks like nothing in particular.' },
  { id: 'tls', label: 'TLS', hint: 'The portal holds a certificate for your domain; the link looks like HTTPS. Needs a DNS name that points at the server.' },
  { id: 'ws-tls', label: 'WebSocket + TLS', hint: 'VMess over WebSocket inside TLS, on port 443 by default: passes most proxies and firewalls. Needs a DNS name that points at the server.' },
];

export function transportLabel(transport: RemoteSetupTransport): string {
  return REMOTE_TRANSPORTS.find((entry) => entry.id === transport)?.label ?? transport;
}

export function needsDomain(transport: RemoteSetupTransport): boolean {
  return transport !== 'tcp';
}

/** The link port the service uses when none is given (RemoteSetupRequest.linkPort). */
export function defaultLinkPort(transport: RemoteSetupTransport): number {
  return needsDomain(transport) ? 443 : 10086;
}

export type FormCheck =
  | { ok: true; request: RemoteSetupRequest }
  | { ok: false; problems: Partial<Record<RemoteSetupField, string>>; first: RemoteSetupField };

/** Where a schema issue's path (under `startRemoteSetup`'s one argument) is shown in the form. */
function fieldOfPath(path: readonly PropertyKey[]): RemoteSetupField {
  const [, key, inner] = path;
  if (key === 'auth') return inner === 'passphrase' ? 'passphrase' : 'keyFile';
  if (key === 'keyFile') return 'serverKeyFile';
  if (key === 'acme') return 'acmeEmail';
  return FORM_FIELDS.includes(key as RemoteSetupField) ? (key as RemoteSetupField) : 'host';
}

const PORT_PROBLEM = 'A port is 1–65535.';

/** A port typed as text: a number when it is digits, else undefined (`bad` says whether text was there). */
function portOf(text: string): { port: number | undefined; bad: boolean } {
  const trimmed = text.trim();
  if (trimmed === '') return { port: undefined, bad: false };
  return /^\d{1,5}$/.test(trimmed) ? { port: Number(trimmed), bad: false } : { port: undefined, bad: true };
}

/**
 * The form as a `startRemoteSetup` request, checked by the method table's schema (the same check
 * the service's transport makes), plus what the schema leaves to the service: TLS needs a domain,
 * certificate and key come together, a port range runs upwards. Every problem is named by field.
 */
export function requestOf(form: RemoteSetupForm): FormCheck {
  const tls = needsDomain(form.transport);
  const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
  const sshPort = portOf(form.port);
  const linkPort = portOf(form.linkPort);
  const ownFiles = optional(form.certificateFile) !== undefined || optional(form.serverKeyFile) !== undefined;
  const candidate = {
    host: form.host.trim(),
    port: sshPort.port,
    user: form.user.trim(),
    auth: form.authKind === 'agent'
      ? { kind: 'agent' }
      : { kind: 'key', keyFile: form.keyFile.trim(), ...(form.passphrase !== '' ? { passphrase: form.passphrase } : {}) },
    transport: form.transport,
    domain: optional(form.domain),
    certificateFile: tls ? optional(form.certificateFile) : undefined,
    keyFile: tls ? optional(form.serverKeyFile) : undefined,
    // Only where the portal gets its certificate itself: files on the server make it moot.
    acme: tls && ownFiles === false && optional(form.acmeEmail) ? { email: optional(form.acmeEmail) } : undefined,
    linkPort: linkPort.port,
    exposureRange: optional(form.exposureRange),
    profileName: optional(form.profileName),
  };
  // Undefined keys would still be keys: the strict schema takes them, but the request stays clean without.
  const request = Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined));
  const problems: Partial<Record<RemoteSetupField, string>> = {};
  if (sshPort.bad) problems.port = PORT_PROBLEM;
  if (linkPort.bad) problems.linkPort = PORT_PROBLEM;
  const parsed = ENGINE_METHODS.startRemoteSetup.safeParse([request]);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = fieldOfPath(issue.path);
      problems[field] ??= asSentence(issue.message);
    }
  }
  if (tls && candidate.domain === undefined) problems.domain ??= `${transportLabel(form.transport)} needs the server’s DNS name, e.g. vps.example.com.`;
  if (tls && (candidate.certificateFile === undefined) !== (candidate.keyFile === undefined)) {
    problems[candidate.certificateFile === undefined ? 'certificateFile' : 'serverKeyFile'] ??= 'Give both the certificate and its key, or neither (the portal then gets one from Let’s Encrypt).';
  }
  const range = /^(\d{1,5})-(\d{1,5})$/.exec(candidate.exposureRange ?? '');
  if (range) {
    const first = Number(range[1]);
    const last = Number(range[2]);
    if (first < 1 || last > 65535 || first > last) problems.exposureRange ??= 'A port range runs upwards within 1–65535, e.g. 20000-20099.';
  }
  const first = FORM_FIELDS.find((field) => problems[field] !== undefined);
  if (first) return { ok: false, problems, first };
  return { ok: true, request: (parsed.success ? parsed.data[0] : request) as RemoteSetupRequest };
}

/** The run's one step that needs attention: failed, or waiting for the user. */
export function stoppedStep(run: RemoteSetup | null): RemoteSetupStep | null {
  return run?.steps.find((step) => step.state === 'failed' || step.state === 'waiting') ?? null;
}

/** True while the run goes on or waits for the user (Cancel is offered). */
export function isActive(run: RemoteSetup | null): boolean {
  return run?.state === 'running' || run?.state === 'waiting';
}

/** The host key was refused because another one is pinned for this host: no accepting it here. */
export function hostKeyChanged(run: RemoteSetup | null): boolean {
  return run?.hostKey?.pinnedFingerprint !== undefined;
}

/**
 * Whether Retry should ask for the key's passphrase: the failure says so, or logging in failed
 * for a run that used a key file from this window.
 */
export function retryWantsPassphrase(run: RemoteSetup | null, lastAuth: LastAuth): boolean {
  const step = run?.state === 'failed' ? stoppedStep(run) : null;
  if (!step) return false;
  if (/passphrase/i.test(step.reason ?? '')) return true;
  return step.id === 'connect' && lastAuth?.kind === 'key';
}

function where(run: RemoteSetup): string {
  return `${run.target.user}@${run.target.host}`;
}

/** One short phrase per step that reached a new state (running is implied by the list itself). */
function stepPhrase(step: RemoteSetupStep): string | null {
  switch (step.state) {
    case 'done': return `${step.title}: done${step.detail ? `, ${step.detail}` : ''}.`;
    case 'skipped': return `${step.title}: skipped${step.detail ? `, ${step.detail}` : ''}.`;
    case 'failed': return `${step.title} failed: ${asSentence(step.reason ?? 'no reason given')}`;
    case 'waiting': return `${step.title}: waiting for you${step.reason ? `. ${asSentence(step.reason)}` : '.'}`;
    default: return null;
  }
}

/**
 * What the live region says for one update of the run: the steps that changed state, then how
 * the run ended. Null when nothing worth saying changed (a detail refreshed, the same run again).
 */
export function describeRunChange(previous: RemoteSetup | null, next: RemoteSetup): string | null {
  const same = previous?.id === next.id ? previous : null;
  const parts: string[] = [];
  if (!same) parts.push(next.kind === 'install' ? `Setting up ${where(next)}.` : `Removing Porthole from ${where(next)}.`);
  for (const step of next.steps) {
    const before = same?.steps.find((candidate) => candidate.id === step.id);
    if (before?.state === step.state) continue;
    const phrase = stepPhrase(step);
    if (phrase && (same || step.state !== 'done')) parts.push(phrase);
  }
  if (same?.state !== next.state) {
    if (next.state === 'done') parts.push(next.kind === 'install' ? `Finished: bridges dial ${next.result?.linkAddress ?? next.target.host}.` : `Finished: Porthole is removed from ${next.target.host}.`);
    if (next.state === 'cancelled') parts.push('Cancelled. What was done stays on the server.');
  }
  return parts.length > 0 ? parts.join(' ') : null;
}

/** How this window last logged in (never the passphrase): for Retry and as Remove's default. */
export type LastAuth = { kind: 'agent' } | { kind: 'key'; keyFile: string } | null;

export type RemoteSetupBusy = 'start' | 'accept' | 'retry' | 'cancel' | 'remove' | null;

export interface RemoteSetupState {
  /** The first answer came (latest run and servers). */
  loaded: boolean;
  /** The form, or the run's steps (with the result once done). */
  view: 'form' | 'run';
  form: RemoteSetupForm;
  /** By field, one sentence each; shown next to the field. */
  problems: Partial<Record<RemoteSetupField, string>>;
  /** The field to focus after a refused submit (the first with a problem); the form clears it. */
  focusField: RemoteSetupField | null;
  run: RemoteSetup | null;
  servers: RemoteServer[];
  busy: RemoteSetupBusy;
  /** A call the service refused (one sentence): another run going, a retry that could not begin. */
  error: string | null;
  /** The one polite live region's text (step changes). */
  announcement: string;
  lastAuth: LastAuth;

  /** The latest run and the servers set up from here (the page opened, or the link came back). */
  load(): Promise<void>;
  loadServers(): Promise<void>;
  /** An event: the current run changed. */
  applyRun(run: RemoteSetup): void;
  setField<K extends RemoteSetupField>(field: K, value: RemoteSetupForm[K]): void;
  /** Checks the form and starts the run; false when the form has problems or the service refused. */
  submit(): Promise<boolean>;
  acceptHostKey(): Promise<void>;
  retry(passphrase?: string): Promise<void>;
  cancel(): Promise<void>;
  /** "Remove from server": a removal run with the same step list. */
  remove(target: RemoteServerTarget): Promise<boolean>;
  /** Back to the form (prefilled, e.g. to set a known server up again); the run stays as it is. */
  showForm(prefill?: Partial<RemoteSetupForm>): void;
  showRun(): void;
  dismissError(): void;
  clearFocusField(): void;
}

const initial = {
  loaded: false, view: 'form' as const, form: EMPTY_FORM, problems: {}, focusField: null, run: null, servers: [],
  busy: null, error: null, announcement: '', lastAuth: null,
} satisfies Partial<RemoteSetupState>;

export const useRemoteSetupStore = create<RemoteSetupState>()((set, get) => {
  /** Events seen since start: a fetched run older than a pushed one must not overwrite it. */
  let events = 0;

  /** Calls `call`, keeping the run it answers with; a refusal becomes `error`. */
  const act = async (busy: Exclude<RemoteSetupBusy, null>, call: () => Promise<RemoteSetup>): Promise<boolean> => {
    if (get().busy) return false;
    set({ busy, error: null });
    try {
      const run = await call();
      get().applyRun(run);
      set({ busy: null, view: 'run' });
      return true;
    } catch (error) {
      set({ busy: null, error: asSentence(envelopeOf(error).message) });
      return false;
    }
  };

  return {
    ...initial,
    load: async () => {
      const seen = events;
      try {
        const [run, servers] = await Promise.all([engineService().getRemoteSetup(), engineService().listRemoteServers()]);
        const first = !get().loaded;
        set({ servers, loaded: true });
        if (run && events === seen) {
          // A window opened mid-run (or on a failed one) shows it; one already open keeps what the user looks at.
          const worthShowing = isActive(run) || (first && run.state === 'failed');
          const show = worthShowing && (first || get().run?.id !== run.id);
          set({ run, ...(show ? { view: 'run' as const } : {}) });
        }
      } catch (error) {
        set({ loaded: true, error: asSentence(envelopeOf(error).message) });
      }
    },
    loadServers: async () => {
      try {
        set({ servers: await engineService().listRemoteServers() });
      } catch {
        // The list is a convenience: the run's own view says what happened.
      }
    },
    applyRun: (run) => {
      const previous = get().run;
      // A call's answer can arrive after the events that followed it: the newer copy stays.
      if (previous?.id === run.id && run.revision < previous.revision) return;
      events += 1;
      // A run from a newer start replaces the one shown; one started elsewhere shows itself.
      const said = describeRunChange(previous, run);
      const newRun = previous?.id !== run.id;
      set({
        run,
        ...(said ? { announcement: said } : {}),
        ...(newRun && isActive(run) ? { view: 'run' as const } : {}),
      });
      if (run.state === 'done' && previous?.state !== 'done') void get().loadServers();
    },
    setField: (field, value) => {
      const { form, problems } = get();
      const { [field]: _dropped, ...others } = problems;
      set({ form: { ...form, [field]: value }, problems: others });
    },
    submit: async () => {
      const { form } = get();
      const check = requestOf(form);
      if (!check.ok) {
        set({ problems: check.problems, focusField: check.first });
        return false;
      }
      const auth = check.request.auth;
      set({ problems: {}, lastAuth: auth.kind === 'agent' ? { kind: 'agent' } : { kind: 'key', keyFile: auth.keyFile } });
      const started = await act('start', () => engineService().startRemoteSetup(check.request));
      // The passphrase served this start; it is not kept (a retry asks again when needed).
      set({ form: { ...get().form, passphrase: '' } });
      return started;
    },
    acceptHostKey: async () => {
      const { run } = get();
      const fingerprint = run?.hostKey?.fingerprint;
      if (!run || !fingerprint) return;
      await act('accept', () => engineService().acceptRemoteHostKey(run.id, fingerprint));
    },
    retry: async (passphrase) => {
      const { run } = get();
      if (!run) return;
      await act('retry', () => (passphrase ? engineService().retryRemoteSetup(run.id, { passphrase }) : engineService().retryRemoteSetup(run.id)));
    },
    cancel: async () => {
      const { run } = get();
      if (!run) return;
      await act('cancel', () => engineService().cancelRemoteSetup(run.id));
    },
    remove: async (target) => {
      set({ lastAuth: target.auth.kind === 'agent' ? { kind: 'agent' } : { kind: 'key', keyFile: target.auth.keyFile } });
      return act('remove', () => engineService().removeRemoteSetup(target));
    },
    showForm: (prefill) => set({ view: 'form', error: null, problems: {}, ...(prefill ? { form: { ...get().form, ...prefill, passphrase: '' } } : {}) }),
    showRun: () => set({ view: 'run', error: null }),
    dismissError: () => set({ error: null }),
    clearFocusField: () => set({ focusField: null }),
  };
});

/** Listens to the service's run changes while the page is open; returns the unsubscribe. */
export function watchRemoteSetup(service: EngineService): () => void {
  return service.onDidChangeRemoteSetup((run) => useRemoteSetupStore.getState().applyRun(run));
}

/** A server from the list as the form's fields (to set it up again). */
export function formOfServer(server: RemoteServer): Partial<RemoteSetupForm> {
  return { host: server.host, port: String(server.port), user: server.user, transport: server.transport, linkPort: String(server.linkPort), profileName: server.profile };
}

/** Back to the state at start-up (tests). */
export function resetRemoteSetupStore(): void {
  useRemoteSetupStore.setState({ ...initial });
}
