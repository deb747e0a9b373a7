import { afterEach, describe, expect, it } from 'vitest';
import type { ServerCheck, ServerSetup, ServerSetupOptions } from '../../src-core/host/api/index.js';
import { fakeService } from './fake-service.test-support.js';
import { describeSetupError, suggestedNamesDomain } from './server-setup.js';
import { setEngineService } from './service.js';
import { resetAppStore, useAppStore } from './store.js';

function setupFor(options: ServerSetupOptions = {}): ServerSetup {
  const kind = options.transport ?? 'tcp';
  const changed = kind !== 'tcp';
  return {
    profile: 'home', serverAddress: `vps.example.com:${kind === 'ws-tls' ? 443 : 1024}`,
    transport: { kind, serverName: kind === 'tcp' ? null : options.serverName ?? 'vps.example.com', path: kind === 'ws-tls' ? options.path ?? '/porthole' : null, portalListen: '127.0.0.1:10000', certificateFile: null, keyFile: null, current: 'tcp' },
    v2ray: { fileName: 'v2ray-portal.json', text: '{}', command: 'v2ray -config v2ray-portal.json' },
    porthole: { fileName: 'porthole-portal.json', text: '{}', command: 'porthole run -c porthole-portal.json' },
    bridge: { fileName: 'home.json', text: `{"transport":"${kind}"}`, changed },
    proxies: kind === 'ws-tls' ? { nginx: { fileName: 'n.conf', text: 'server {}', command: 'nginx -t' }, caddy: { fileName: 'Caddyfile', text: 'x {}', command: 'caddy validate' } } : null,
    exposures: [],
    protocol: 'vmess', publicPorts: [], install: { steps: [], ports: [] },
  };
}

const failure = (code: string, message: string) => Object.assign(new Error(message), { code });

afterEach(() => resetAppStore());

describe('Server setup: transports and the matching bridge profile', () => {
  it('asks again with the picked transport, server name and path; the first call carries no options', async () => {
    const { service, calls } = fakeService({ getServerSetup: (_profile: string, options?: ServerSetupOptions) => setupFor(options) });
    setEngineService(service);
    await useAppStore.getState().openServerSetup('home');
    await useAppStore.getState().setServerSetupOptions({ transport: 'ws-tls' });
    await useAppStore.getState().setServerSetupOptions({ serverName: 'tunnel.example.com', path: '/ph' });
    useAppStore.getState().setServerSetupProxy('caddy');
    const view = useAppStore.getState().serverSetup;
    expect(calls).toEqual([
      ['getServerSetup', ['home']],
      ['getServerSetup', ['home', { transport: 'ws-tls' }]],
      ['getServerSetup', ['home', { transport: 'ws-tls', serverName: 'tunnel.example.com', path: '/ph' }]],
    ]);
    expect({ kind: view?.setup?.transport.kind, path: view?.setup?.transport.path, proxy: view?.proxy }).toEqual({ kind: 'ws-tls', path: '/ph', proxy: 'caddy' });
  });

  it('saves the matching bridge profile, restarts the running engine on it, and fetches again', async () => {
    let saved = 'tcp';
    const { service, calls } = fakeService({
      getServerSetup: (_profile: string, options?: ServerSetupOptions) => ({ ...setupFor(options ?? { transport: saved as 'tcp' }), transport: { ...setupFor(options ?? { transport: saved as 'tcp' }).transport, current: saved }, bridge: { ...setupFor(options).bridge, changed: options?.transport !== undefined && options.transport !== saved } }),
      saveProfile: (_name: string, text: string) => { saved = (JSON.parse(text) as { transport: string }).transport; return { name: 'home' }; },
      activateProfile: { state: 'running', profile: 'home', since: 1, error: null, listening: [] },
      listProfiles: [],
    });
    setEngineService(service);
    useAppStore.setState({ status: { state: 'running', profile: 'home', since: 0, error: null, listening: [] } });
    await useAppStore.getState().openServerSetup('home');
    await useAppStore.getState().setServerSetupOptions({ transport: 'tls', serverName: 'vps.example.com' });
    expect(useAppStore.getState().serverSetup?.setup?.bridge.changed).toBe(true);
    await useAppStore.getState().applyServerSetupBridge();
    const view = useAppStore.getState().serverSetup;
    expect(calls.filter(([method]) => method === 'saveProfile' || method === 'activateProfile')).toEqual([
      ['saveProfile', ['home', '{"transport":"tls"}']],
      ['activateProfile', ['home']],
    ]);
    expect({ saved, state: view?.bridgeSave?.state, options: view?.options }).toEqual({ saved: 'tls', state: 'saved', options: {} });
    expect(view?.bridgeSave?.message).toContain('restarted the engine');
  });

  it('names a wrong choice', () => {
    expect(describeSetupError({ code: 'PH_SETUP_BAD_INPUT', message: 'TLS needs a server name: …' }).title).toBe('Check the transport settings');
  });
});

describe('Server setup: Check', () => {
  const found = (ok: boolean): ServerCheck => ({
    profile: 'home', serverAddress: 'vps.example.com:1024', ok,
    steps: [{ kind: 'server', state: 'ok', title: 'server reachable', detail: '' }, { kind: 'link', state: ok ? 'ok' : 'failed', title: ok ? 'link accepted' : 'link not accepted', detail: ok ? '' : 'auth rejected' }],
  });

  it('checks with the picked options, keeps the result, and forgets it when the options change', async () => {
    const { service, calls } = fakeService({ getServerSetup: (_profile: string, options?: ServerSetupOptions) => setupFor(options), checkServerSetup: found(false) });
    setEngineService(service);
    await useAppStore.getState().openServerSetup('home');
    await useAppStore.getState().checkServerSetup();
    expect(useAppStore.getState().serverSetup?.check).toEqual({ state: 'done', result: found(false), error: null });
    await useAppStore.getState().setServerSetupOptions({ transport: 'ws' });
    expect(useAppStore.getState().serverSetup?.check).toBeNull();
    await useAppStore.getState().checkServerSetup();
    expect(calls.filter(([method]) => method === 'checkServerSetup')).toEqual([['checkServerSetup', ['home']], ['checkServerSetup', ['home', { transport: 'ws' }]]]);
  });

  it('says why Check could not run, and drops an answer for options no longer shown', async () => {
    let answer: (check: ServerCheck) => void = () => {};
    const { service } = fakeService({
      getServerSetup: (_profile: string, options?: ServerSetupOptions) => setupFor(options),
      checkServerSetup: () => new Promise<ServerCheck>((resolve) => { answer = resolve; }),
    });
    setEngineService(service);
    await useAppStore.getState().openServerSetup('home');
    const running = useAppStore.getState().checkServerSetup();
    expect(useAppStore.getState().serverSetup?.check?.state).toBe('running');
    await useAppStore.getState().setServerSetupOptions({ transport: 'tls' });
    answer(found(true));
    await running;
    expect(useAppStore.getState().serverSetup?.check).toBeNull();

    setEngineService(fakeService({ getServerSetup: setupFor(), checkServerSetup: failure('PH_SETUP_NO_BRIDGE', 'profile "home" has no bridge') }).service);
    await useAppStore.getState().checkServerSetup();
    expect(useAppStore.getState().serverSetup?.check).toEqual({ state: 'failed', result: null, error: 'Profile "home" has no bridge.' });
  });
});

describe('Server setup: names for a V2Ray portal', () => {
  it('offers the sslip.io domain of an IPv4 server only', () => {
    expect([suggestedNamesDomain('203.0.113.5:1024'), suggestedNamesDomain('vps.example.com:443'), suggestedNamesDomain('[2001:db8::1]:443')]).toEqual(['203-0-113-5.sslip.io', null, null]);
  });

  it('Caddy/nginx ask with the offered domain, then a typed one; switching between them asks nothing; None drops the domain', async () => {
    const { service, calls } = fakeService({ getServerSetup: (_profile: string, options?: ServerSetupOptions) => ({ ...setupFor(options), serverAddress: '203.0.113.5:1024' }) });
    setEngineService(service);
    await useAppStore.getState().openServerSetup('home');
    await useAppStore.getState().setServerSetupNames('caddy');
    await useAppStore.getState().setServerSetupNames('nginx');
    await useAppStore.getState().setServerSetupNames('nginx', 'tunnel.example.com');
    const named = useAppStore.getState().serverSetup;
    await useAppStore.getState().setServerSetupNames('none');
    expect(calls).toEqual([
      ['getServerSetup', ['home']],
      ['getServerSetup', ['home', { namesDomain: '203-0-113-5.sslip.io' }]],
      ['getServerSetup', ['home', { namesDomain: 'tunnel.example.com' }]],
      ['getServerSetup', ['home']],
    ]);
    expect({ names: named?.names, domain: named?.options.namesDomain, after: useAppStore.getState().serverSetup?.names }).toEqual({ names: 'nginx', domain: 'tunnel.example.com', after: 'none' });
  });

  it('a refused domain is titled as such', () => {
    expect(describeSetupError({ code: 'PH_SETUP_BAD_INPUT', message: 'names domain "x" is not a domain name: give one…' }).title).toBe('Check the names domain');
  });
});
