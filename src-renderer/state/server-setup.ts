/**
 * Profiles → Server setup (issue 7/7): the portal-side configs that match a bridge profile and the
 * exposures, fetched when the panel opens. Opening it from the Exposures page (a V2Ray portal
 * needs its lines) works too: the panel is state, not a route.
 */
import type { ErrorEnvelope, ServerCheck, ServerSetup, ServerSetupOptions, SetupTransport } from '../../src-core/host/api/index.js';
import { sslipDomain } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export type ServerSetupTab = 'v2ray' | 'porthole';
/** Who serves a V2Ray portal's names: nobody (public ports), Caddy or nginx. */
export type ServerSetupNames = 'none' | 'caddy' | 'nginx';

/** The wildcard-DNS domain offered for a server at `host:port` (an IPv4 address), else null. */
export function suggestedNamesDomain(serverAddress: string): string | null {
  return sslipDomain(serverAddress.slice(0, serverAddress.lastIndexOf(':')));
}

/** The transports Server setup offers, in the order the page lists them. */
export const SETUP_TRANSPORTS: { id: SetupTransport; label: string; hint: string }[] = [
  { id: 'tcp', label: 'VMess over TCP', hint: 'The bridge dials the portal’s port directly. Simplest; the traffic is VMess-encrypted but looks like nothing in particular.' },
  { id: 'tls', label: 'TLS', hint: 'The portal holds a certificate for the server name (e.g. from Let’s Encrypt); the link looks like HTTPS.' },
  { id: 'ws', label: 'WebSocket', hint: 'VMess over WebSocket at a path, without TLS: for a CDN or proxy that adds TLS itself.' },
  { id: 'ws-tls', label: 'WebSocket + TLS', hint: 'nginx or Caddy on port 443 end TLS for the server name and hand the WebSocket path to the portal on a loopback port. The usual set-up next to a website.' },
];

export interface ServerSetupView {
  profile: string;
  tab: ServerSetupTab;
  loading: boolean;
  setup: ServerSetup | null;
  error: ErrorEnvelope | null;
  /** What the user picked (empty: what the profile uses). */
  options: ServerSetupOptions;
  /** The front proxy shown for WebSocket + TLS. */
  proxy: 'nginx' | 'caddy';
  /** Names for a V2Ray portal: who serves them (the domain is `options.namesDomain`). */
  names: ServerSetupNames;
  /** Saving the matching bridge profile: null, 'saving', or what happened. */
  bridgeSave: { state: 'saving' | 'saved' | 'failed'; message: string } | null;
  /** Check: null before the first click; the result is for the options shown (cleared when they change). */
  check: ServerSetupCheck | null;
}

/** The Check button's run: going, done (what each step found), or unable to run at all. */
export type ServerSetupCheck =
  | { state: 'running'; result: ServerCheck | null; error: null }
  | { state: 'done'; result: ServerCheck; error: null }
  | { state: 'failed'; result: null; error: string };

export interface ServerSetupSlice {
  /** Null while the panel is closed. */
  serverSetup: ServerSetupView | null;
  openServerSetup(profile: string, tab?: ServerSetupTab): Promise<void>;
  /** Fetches again (the exposures changed, the profile was saved). */
  refreshServerSetup(): Promise<void>;
  setServerSetupTab(tab: ServerSetupTab): void;
  /** Picks a transport, server name or path, and fetches the configs for it. */
  setServerSetupOptions(patch: ServerSetupOptions): Promise<void>;
  setServerSetupProxy(proxy: 'nginx' | 'caddy'): void;
  /**
   * Names for a V2Ray portal: 'none' drops them; Caddy or nginx takes `domain`, else the one in
   * use, else the sslip.io domain of the server's address, and fetches the configs for it.
   */
  setServerSetupNames(names: ServerSetupNames, domain?: string): Promise<void>;
  /** Saves the bridge profile that matches the shown configs over the profile (and restarts it if it runs). */
  applyServerSetupBridge(): Promise<void>;
  /** Check: tries the link as configured and each exposure's public port, and keeps what it found. */
  checkServerSetup(): Promise<void>;
  closeServerSetup(): void;
}

export const createServerSetupSlice: SliceCreator<ServerSetupSlice> = (set, get) => ({
  serverSetup: null,
  openServerSetup: async (profile, tab) => {
    const current = get().serverSetup;
    const same = current?.profile === profile;
    set({ serverSetup: {
      profile, tab: tab ?? current?.tab ?? 'v2ray', loading: true, setup: same ? current.setup : null, error: null,
      options: same ? current.options : {}, proxy: current?.proxy ?? 'nginx', names: same ? current.names : 'none', bridgeSave: null, check: same ? current.check : null,
    } });
    await get().refreshServerSetup();
  },
  refreshServerSetup: async () => {
    const view = get().serverSetup;
    if (!view) return;
    set({ serverSetup: { ...view, loading: true, error: null } });
    let update: Partial<ServerSetupView>;
    try {
      // No options: the call as before (what the profile uses), which an older service also takes.
      const picked = Object.values(view.options).some((value) => value !== undefined);
      update = { setup: await (picked ? engineService().getServerSetup(view.profile, view.options) : engineService().getServerSetup(view.profile)), error: null };
    } catch (error) {
      update = { setup: null, error: envelopeOf(error) };
    }
    // Closed, opened for another profile, or other options picked meanwhile: this answer is stale.
    const now = get().serverSetup;
    if (now?.profile === view.profile && now.options === view.options) set({ serverSetup: { ...now, ...update, loading: false } });
  },
  setServerSetupOptions: async (patch) => {
    const view = get().serverSetup;
    if (!view) return;
    set({ serverSetup: { ...view, options: { ...view.options, ...patch }, bridgeSave: null, check: null } });
    await get().refreshServerSetup();
  },
  setServerSetupProxy: (proxy) => {
    const view = get().serverSetup;
    if (view) set({ serverSetup: { ...view, proxy } });
  },
  setServerSetupNames: async (names, domain) => {
    const view = get().serverSetup;
    if (!view) return;
    const suggested = view.setup ? suggestedNamesDomain(view.setup.serverAddress) : null;
    const namesDomain = names === 'none' ? undefined : (domain ?? view.options.namesDomain ?? suggested ?? undefined);
    if (namesDomain === view.options.namesDomain) {
      set({ serverSetup: { ...view, names } });
      return;
    }
    // No names: the key goes, so a setup without other choices is asked as before (older services take it).
    const { namesDomain: _previous, ...others } = view.options;
    set({ serverSetup: { ...view, names, options: namesDomain ? { ...others, namesDomain } : others, check: null } });
    await get().refreshServerSetup();
  },
  applyServerSetupBridge: async () => {
    const view = get().serverSetup;
    const text = view?.setup?.bridge.text;
    if (!view || !text) return;
    const update = (bridgeSave: ServerSetupView['bridgeSave']) => {
      const now = get().serverSetup;
      if (now?.profile === view.profile) set({ serverSetup: { ...now, bridgeSave } });
    };
    update({ state: 'saving', message: `Saving “${view.profile}”…` });
    try {
      await engineService().saveProfile(view.profile, text);
      const status = get().status;
      const restart = status?.profile === view.profile && (status.state === 'running' || status.state === 'starting');
      if (restart) set({ status: await engineService().activateProfile(view.profile) });
      // The saved profile now says what was picked: fetch again so "changed" clears, then say so.
      // Names are not in the profile: they stay as picked.
      const now = get().serverSetup;
      if (now?.profile === view.profile) set({ serverSetup: { ...now, options: now.options.namesDomain ? { namesDomain: now.options.namesDomain } : {} } });
      await get().refreshServerSetup();
      update({ state: 'saved', message: `Saved “${view.profile}”${restart ? ' and restarted the engine with it' : ''}: the bridge now dials ${view.setup?.serverAddress ?? 'the server'} as these configs expect.` });
      await get().loadProfiles();
    } catch (error) {
      update({ state: 'failed', message: envelopeOf(error).message });
    }
  },
  checkServerSetup: async () => {
    const view = get().serverSetup;
    if (!view || view.check?.state === 'running') return;
    set({ serverSetup: { ...view, check: { state: 'running', result: view.check?.result ?? null, error: null } } });
    let check: ServerSetupCheck;
    try {
      const picked = Object.values(view.options).some((value) => value !== undefined);
      const result = await (picked ? engineService().checkServerSetup(view.profile, view.options) : engineService().checkServerSetup(view.profile));
      check = { state: 'done', result, error: null };
    } catch (error) {
      check = { state: 'failed', result: null, error: asSentence(envelopeOf(error).message) };
    }
    // Another profile or other options meanwhile: the answer is about something no longer shown.
    const now = get().serverSetup;
    if (now?.profile === view.profile && now.options === view.options) set({ serverSetup: { ...now, check } });
  },
  setServerSetupTab: (tab) => {
    const view = get().serverSetup;
    if (view) set({ serverSetup: { ...view, tab } });
  },
  closeServerSetup: () => set({ serverSetup: null }),
});

/** What to tell the user when Server setup cannot be made, by code. */
export function describeSetupError(error: ErrorEnvelope): { title: string; text: string } {
  if (error.code === 'PH_SETUP_NO_BRIDGE') return { title: 'This profile has no bridge', text: asSentence(error.message) };
  if (error.code === 'PH_SETUP_BAD_INPUT') return { title: error.message.startsWith('names domain') ? 'Check the names domain' : 'Check the transport settings', text: asSentence(error.message) };
  if (error.code.startsWith('PH_CONFIG_')) {
    const where = error.where?.line !== undefined ? `line ${error.where.line}${error.where.column !== undefined ? `, column ${error.where.column}` : ''}: ` : '';
    return { title: 'The profile does not load', text: `${where}${error.where?.path ? `${error.where.path}: ` : ''}${error.message}` };
  }
  if (error.code === 'PH_PROFILE_NOT_FOUND') return { title: 'No such profile', text: error.message };
  return { title: 'Server setup failed', text: asSentence(error.message) };
}

