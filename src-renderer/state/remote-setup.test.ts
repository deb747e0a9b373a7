import { beforeEach, describe, expect, it } from 'vitest';
import type { EngineService, RemoteServer, RemoteSetup, RemoteSetupStep, RemoteSetupStepId, RemoteStepState } from '../../src-core/host/api/index.js';
import { fakeService } from './fake-service.test-support.js';
import {
  describeRunChange, EMPTY_FORM, formOfServer, hostKeyChanged, requestOf, resetRemoteSetupStore, retryWantsPassphrase, useRemoteSetupStore, watchRemoteSetup,
  type RemoteSetupForm,
} from './remote-setup.js';
import { setEngineService } from './service.js';

const FINGERPRINT = `SHA256:${'A'.repeat(43)}`;
const TITLES: Record<string, string> = {
  connect: 'Log in', 'host-key': 'Check the host key', 'check-system': 'Check the system', upload: 'Upload the portal', 'write-config': 'Write the config',
  'install-service': 'Install the service', firewall: 'Open the firewall', start: 'Start the portal', 'activate-bridge': 'Activate the bridge profile',
};

function step(id: RemoteSetupStepId, state: RemoteStepState, fields: Partial<RemoteSetupStep> = {}): RemoteSetupStep {
  return { id, title: TITLES[id] ?? id, state, ...fields };
}

/** An install run whose steps up to `states.length` have those states, the rest pending. */
function run(states: RemoteStepState[], fields: Partial<RemoteSetup> = {}): RemoteSetup {
  const ids: RemoteSetupStepId[] = ['connect', 'host-key', 'check-system', 'upload', 'write-config', 'install-service', 'firewall', 'start', 'activate-bridge'];
  return {
    id: 'rs-0123abcd', kind: 'install', target: { host: 'vps.example.com', port: 22, user: 'root' }, state: 'running',
    steps: ids.map((id, index) => step(id, states[index] ?? 'pending')), startedAt: 1, revision: 1, ...fields,
  };
}

function form(fields: Partial<RemoteSetupForm>): RemoteSetupForm {
  return { ...EMPTY_FORM, host: 'vps.example.com', user: 'root', ...fields };
}

const refusal = (message: string) => Object.assign(new Error(message), { code: 'PH_REMOTE_SETUP' });

beforeEach(() => {
  resetRemoteSetupStore();
  setEngineService(undefined);
});

describe('the form as a request', () => {
  it('agent over plain TCP: only what was typed, defaults left to the service', () => {
    expect(requestOf(form({ host: '  vps.example.com ' }))).toEqual({ ok: true, request: { host: 'vps.example.com', port: 22, user: 'root', auth: { kind: 'agent' }, transport: 'tcp' } });
  });

  it('a key file with its passphrase, WebSocket + TLS with a domain (lower-cased) and files on the server, the advanced fields', () => {
    const check = requestOf(form({
      port: '2222', authKind: 'key', keyFile: '/home/me/.ssh/id_ed25519', passphrase: ' secret ', transport: 'ws-tls', domain: 'VPS.Example.com',
      certificateFile: '/etc/letsencrypt/live/vps/fullchain.pem', serverKeyFile: '/etc/letsencrypt/live/vps/privkey.pem', linkPort: '8443', exposureRange: '30000-30009', profileName: 'my vps',
    }));
    expect(check).toEqual({
      ok: true,
      request: {
        host: 'vps.example.com', port: 2222, user: 'root', auth: { kind: 'key', keyFile: '/home/me/.ssh/id_ed25519', passphrase: ' secret ' }, transport: 'ws-tls', domain: 'vps.example.com',
        certificateFile: '/etc/letsencrypt/live/vps/fullchain.pem', keyFile: '/etc/letsencrypt/live/vps/privkey.pem', linkPort: 8443, exposureRange: '30000-30009', profileName: 'my vps',
      },
    });
  });

  it('TLS without files: the email goes to the portal\'s ACME; with files it is dropped; a bad one is named at its field', () => {
    const tls = { transport: 'tls' as const, domain: 'vps.example.com', acmeEmail: ' ops@example.com ' };
    expect(requestOf(form(tls))).toMatchObject({ ok: true, request: { transport: 'tls', domain: 'vps.example.com', acme: { email: 'ops@example.com' } } });
    const withFiles = requestOf(form({ ...tls, certificateFile: '/c.pem', serverKeyFile: '/k.pem' }));
    expect(withFiles.ok && withFiles.request.acme).toBe(undefined);
    expect(requestOf(form({ ...tls, acmeEmail: 'not an address' }))).toEqual({ ok: false, problems: { acmeEmail: 'An email address looks like ops@example.com.' }, first: 'acmeEmail' });
    expect(requestOf(form({ transport: 'tcp', acmeEmail: 'ops@example.com' }))).toMatchObject({ ok: true, request: { transport: 'tcp' } });
  });

  it('plain TCP drops certificate paths typed for TLS before', () => {
    const check = requestOf(form({ certificateFile: '/a.pem', serverKeyFile: 'not a path' }));
    expect(check.ok && check.request).toEqual({ host: 'vps.example.com', port: 22, user: 'root', auth: { kind: 'agent' }, transport: 'tcp' });
  });

  it.each<[string, Partial<RemoteSetupForm>, Partial<Record<keyof RemoteSetupForm, string>>]>([
    ['a user in the host', { host: 'root@vps.example.com' }, { host: 'A server is a DNS name or an IP address, without user, port or scheme.' }],
    ['no host', { host: '' }, { host: 'A server is a DNS name or an IP address.' }],
    ['a port that is not a number', { port: '22a' }, { port: 'A port is 1–65535.' }],
    ['port 0', { port: '0' }, { port: 'A port is 1–65535.' }],
    ['no user', { user: ' ' }, { user: 'A user name is 1–32 characters.' }],
    ['a key file not given', { authKind: 'key' }, { keyFile: 'Give the private key file.' }],
    ['TLS without a domain', { transport: 'tls' }, { domain: 'TLS needs the server’s DNS name, e.g. vps.example.com.' }],
    ['a domain that is not a name', { transport: 'ws-tls', domain: 'https://vps' }, { domain: 'A domain is a DNS name such as vps.example.com.' }],
    ['a certificate without its key', { transport: 'tls', domain: 'vps.example.com', certificateFile: '/etc/ssl/cert.pem' }, { serverKeyFile: 'Give both the certificate and its key, or neither (the portal then gets one from Let’s Encrypt).' }],
    ['a relative key path on the server', { transport: 'tls', domain: 'vps.example.com', certificateFile: '/etc/ssl/cert.pem', serverKeyFile: 'key.pem' }, { serverKeyFile: 'A file on the server is an absolute path of letters, digits and . _ ~ / @ + -.' }],
    ['a link port too high', { linkPort: '70000' }, { linkPort: 'A port is 1–65535.' }],
    ['a range that runs down', { exposureRange: '20099-20000' }, { exposureRange: 'A port range runs upwards within 1–65535, e.g. 20000-20099.' }],
    ['a range that is not one', { exposureRange: '20000' }, { exposureRange: 'A port range looks like 20000-20099.' }],
    ['a profile name with a slash', { profileName: 'a/b' }, { profileName: 'A profile name is 1–80 letters, digits, spaces and . _ ( ) + -, starting with a letter or digit.' }],
  ])('%s: the message sits by its field', (_name, fields, problems) => {
    const check = requestOf(form(fields));
    expect(check.ok ? null : check.problems).toEqual(problems);
  });

  it('several problems: each field gets its own, and the first in form order takes the focus', () => {
    const check = requestOf(form({ host: '', user: '', transport: 'tls', linkPort: 'x' }));
    expect(check.ok ? null : [Object.keys(check.problems).sort(), check.first]).toEqual([['domain', 'host', 'linkPort', 'user'], 'host']);
  });

  it('a known server fills the form to set it up again', () => {
    const server: RemoteServer = {
      host: 'vps.example.com', port: 2222, user: 'deploy', hostKey: { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT, known: true }, profile: 'server vps.example.com',
      transport: 'tls', linkPort: 443, folder: '/home/deploy/.porthole', unit: { name: 'porthole-portal', scope: 'user' }, installedAt: 1,
    };
    expect(formOfServer(server)).toEqual({ host: 'vps.example.com', port: '2222', user: 'deploy', transport: 'tls', linkPort: '443', profileName: 'server vps.example.com' });
  });
});

describe('what the live region says', () => {
  it('a new run, then only the steps that changed, then the end', () => {
    const started = run(['running']);
    expect(describeRunChange(null, started)).toBe('Setting up root@vps.example.com.');
    const waiting = run(['done', 'waiting'], { state: 'waiting', hostKey: { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT, known: false } });
    waiting.steps[0] = step('connect', 'done', { detail: 'OpenSSH_9.2' });
    waiting.steps[1] = step('host-key', 'waiting', { reason: 'compare it with the one your provider shows' });
    expect(describeRunChange(started, waiting)).toBe('Log in: done, OpenSSH_9.2. Check the host key: waiting for you. Compare it with the one your provider shows.');
    const failed = run(['done', 'done', 'done', 'failed'], { state: 'failed' });
    failed.steps[3] = step('upload', 'failed', { reason: 'no space left on /home' });
    expect(describeRunChange(run(['done', 'done', 'done', 'running']), failed)).toBe('Upload the portal failed: No space left on /home.');
    const done = run(Array(9).fill('done') as RemoteStepState[], { state: 'done', result: { profile: 'server vps', linkAddress: 'vps.example.com:10086', transport: 'tcp', exposures: [] } });
    expect(describeRunChange(run([...Array(8).fill('done'), 'running'] as RemoteStepState[]), done)).toBe('Activate the bridge profile: done. Finished: bridges dial vps.example.com:10086.');
    expect(describeRunChange(done, done)).toBeNull();
  });

  it('a removal and a cancel say so', () => {
    const removal = run(['running'], { id: 'rs-0123abce', kind: 'remove' });
    expect(describeRunChange(run(['done']), removal)).toBe('Removing Porthole from root@vps.example.com.');
    expect(describeRunChange(run(['done', 'running']), run(['done', 'running'], { state: 'cancelled' }))).toBe('Cancelled. What was done stays on the server.');
  });
});

describe('Retry asks for the passphrase only when the key needs it', () => {
  const failedAt = (id: RemoteSetupStepId, reason: string) => ({ ...run(['failed'], { state: 'failed' }), steps: [step(id, 'failed', { reason })] });
  it.each([
    ['the reason says so', failedAt('connect', 'the key file needs its passphrase'), null, true],
    ['login failed with a key file from this window', failedAt('connect', 'the server refused the key'), { kind: 'key' as const, keyFile: '/k' }, true],
    ['login failed with the agent', failedAt('connect', 'the server refused every key the agent holds'), { kind: 'agent' as const }, false],
    ['a later step failed', failedAt('upload', 'no space left'), { kind: 'key' as const, keyFile: '/k' }, false],
    ['nothing failed', run(['running']), { kind: 'key' as const, keyFile: '/k' }, false],
  ])('%s', (_name, shown, lastAuth, wanted) => {
    expect(retryWantsPassphrase(shown, lastAuth)).toBe(wanted);
  });
});

describe('the run through the store', () => {
  it('a form with problems sends nothing and names the field to focus', async () => {
    const { service, calls } = fakeService();
    setEngineService(service);
    useRemoteSetupStore.setState({ form: form({ host: '', transport: 'tls' }) });
    expect(await useRemoteSetupStore.getState().submit()).toBe(false);
    const state = useRemoteSetupStore.getState();
    expect([calls, Object.keys(state.problems).sort(), state.focusField, state.view]).toEqual([[], ['domain', 'host'], 'host', 'form']);
    state.setField('host', 'vps.example.com');
    expect(Object.keys(useRemoteSetupStore.getState().problems)).toEqual(['domain']);
  });

  it('starts with the key and its passphrase, then forgets the passphrase; steps come by events', async () => {
    const { service, calls } = fakeService({ startRemoteSetup: run(['running']) });
    setEngineService(service);
    useRemoteSetupStore.setState({ form: form({ authKind: 'key', keyFile: '/home/me/.ssh/id_ed25519', passphrase: 'hunter2' }) });
    expect(await useRemoteSetupStore.getState().submit()).toBe(true);
    expect(calls).toEqual([['startRemoteSetup', [{ host: 'vps.example.com', port: 22, user: 'root', auth: { kind: 'key', keyFile: '/home/me/.ssh/id_ed25519', passphrase: 'hunter2' }, transport: 'tcp' }]]]);
    let state = useRemoteSetupStore.getState();
    expect([state.view, state.form.passphrase, state.lastAuth, state.announcement]).toEqual(['run', '', { kind: 'key', keyFile: '/home/me/.ssh/id_ed25519' }, 'Setting up root@vps.example.com.']);
    state.applyRun(run(['done', 'running']));
    state = useRemoteSetupStore.getState();
    expect([state.run?.steps[0]?.state, state.announcement]).toEqual(['done', 'Log in: done.']);
  });

  it('a start whose answer comes after the run failed keeps the failure (the newer revision wins)', async () => {
    let answer: (value: RemoteSetup) => void = () => undefined;
    const { service } = fakeService({ startRemoteSetup: () => new Promise<RemoteSetup>((resolve) => { answer = resolve; }) });
    setEngineService(service);
    useRemoteSetupStore.setState({ form: form({}) });
    const started = useRemoteSetupStore.getState().submit();
    const refused = run(['done', 'failed'], { state: 'failed', revision: 4, hostKey: { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT, known: false, pinnedFingerprint: 'SHA256:pinned' } });
    useRemoteSetupStore.getState().applyRun(refused);
    answer(run(['running'], { revision: 1 }));
    expect(await started).toBe(true);
    const state = useRemoteSetupStore.getState();
    expect([state.view, state.run?.state, state.run?.revision, hostKeyChanged(state.run)]).toEqual(['run', 'failed', 4, true]);
  });

  it('a start the service refuses (another run going) is said in one sentence; the form stays', async () => {
    const { service } = fakeService({ startRemoteSetup: refusal('another setup is running (root@other.example.com)') });
    setEngineService(service);
    useRemoteSetupStore.setState({ form: form({}) });
    expect(await useRemoteSetupStore.getState().submit()).toBe(false);
    const state = useRemoteSetupStore.getState();
    expect([state.view, state.error, state.busy]).toEqual(['form', 'Another setup is running (root@other.example.com).', null]);
  });

  it('accepts the shown host key by its fingerprint, retries with or without a passphrase, cancels', async () => {
    const waiting = run(['done', 'waiting'], { state: 'waiting', hostKey: { algorithm: 'ssh-ed25519', fingerprint: FINGERPRINT, known: false } });
    const { service, calls } = fakeService({ acceptRemoteHostKey: run(['done', 'done', 'running']), retryRemoteSetup: run(['running']), cancelRemoteSetup: run(['done'], { state: 'cancelled' }) });
    setEngineService(service);
    useRemoteSetupStore.getState().applyRun(waiting);
    await useRemoteSetupStore.getState().acceptHostKey();
    await useRemoteSetupStore.getState().retry('pass phrase');
    await useRemoteSetupStore.getState().retry();
    await useRemoteSetupStore.getState().cancel();
    expect(calls).toEqual([
      ['acceptRemoteHostKey', ['rs-0123abcd', FINGERPRINT]],
      ['retryRemoteSetup', ['rs-0123abcd', { passphrase: 'pass phrase' }]],
      ['retryRemoteSetup', ['rs-0123abcd']],
      ['cancelRemoteSetup', ['rs-0123abcd']],
    ]);
    expect(useRemoteSetupStore.getState().run?.state).toBe('cancelled');
  });

  it('a window opened mid-run shows the run; a fetched run older than a pushed one is not applied', async () => {
    let answer: (value: RemoteSetup) => void = () => undefined;
    const { service } = fakeService({ getRemoteSetup: () => new Promise<RemoteSetup>((resolve) => { answer = resolve; }), listRemoteServers: [] });
    setEngineService(service);
    const loading = useRemoteSetupStore.getState().load();
    useRemoteSetupStore.getState().applyRun(run(['done', 'done', 'running']));
    answer(run(['running']));
    await loading;
    const state = useRemoteSetupStore.getState();
    expect([state.loaded, state.view, state.run?.steps.map((candidate) => candidate.state).slice(0, 3)]).toEqual([true, 'run', ['done', 'done', 'running']]);
  });

  it.each([
    ['failed', 'run'],
    ['done', 'form'],
    ['cancelled', 'form'],
  ] as const)('a fresh window on a %s run shows the %s', async (state, view) => {
    const { service } = fakeService({ getRemoteSetup: run(['done'], { state }), listRemoteServers: [] });
    setEngineService(service);
    await useRemoteSetupStore.getState().load();
    expect(useRemoteSetupStore.getState().view).toBe(view);
  });

  it('"Remove from server" runs a removal with the login given; a finished run fetches the servers again', async () => {
    const servers: RemoteServer[] = [];
    const { service, calls } = fakeService({ removeRemoteSetup: run(['running'], { kind: 'remove' }), listRemoteServers: () => servers });
    setEngineService(service);
    const target = { host: 'vps.example.com', port: 22, user: 'root', auth: { kind: 'agent' as const } };
    expect(await useRemoteSetupStore.getState().remove(target)).toBe(true);
    expect([useRemoteSetupStore.getState().view, useRemoteSetupStore.getState().run?.kind]).toEqual(['run', 'remove']);
    useRemoteSetupStore.getState().applyRun(run(['done'], { kind: 'remove', state: 'done' }));
    await Promise.resolve();
    expect(calls.map(([method]) => method)).toEqual(['removeRemoteSetup', 'listRemoteServers']);
  });

  it('listens to the service while watched, and no longer after', () => {
    const listeners = new Set<(value: RemoteSetup) => void>();
    const service = { onDidChangeRemoteSetup: (listener: (value: RemoteSetup) => void) => { listeners.add(listener); return () => { listeners.delete(listener); }; } } as unknown as EngineService;
    const stop = watchRemoteSetup(service);
    for (const listener of listeners) listener(run(['running']));
    stop();
    expect([useRemoteSetupStore.getState().run?.id, listeners.size]).toEqual(['rs-0123abcd', 0]);
  });
});
