/**
 * Profiles → Server setup (issue 7/7): the portal-side configs that match a bridge profile and the
 * exposures, fetched when the panel opens. Opening it from the Exposures page (a V2Ray portal
 * needs its lines) works too: the panel is state, not a route.
 */
import type { ErrorEnvelope, ServerSetup } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { envelopeOf } from '../transport/errors.js';
import { engineService } from './service.js';
import type { SliceCreator } from './store.js';

export type ServerSetupTab = 'v2ray' | 'porthole';

export interface ServerSetupView {
  profile: string;
  tab: ServerSetupTab;
  loading: boolean;
  setup: ServerSetup | null;
  error: ErrorEnvelope | null;
}

export interface ServerSetupSlice {
  /** Null while the panel is closed. */
  serverSetup: ServerSetupView | null;
  openServerSetup(profile: string, tab?: ServerSetupTab): Promise<void>;
  /** Fetches again (the exposures changed, the profile was saved). */
  refreshServerSetup(): Promise<void>;
  setServerSetupTab(tab: ServerSetupTab): void;
  closeServerSetup(): void;
}

export const createServerSetupSlice: SliceCreator<ServerSetupSlice> = (set, get) => ({
  serverSetup: null,
  openServerSetup: async (profile, tab) => {
    const current = get().serverSetup;
    set({ serverSetup: { profile, tab: tab ?? current?.tab ?? 'v2ray', loading: true, setup: current?.profile === profile ? current.setup : null, error: null } });
    await get().refreshServerSetup();
  },
  refreshServerSetup: async () => {
    const view = get().serverSetup;
    if (!view) return;
    set({ serverSetup: { ...view, loading: true, error: null } });
    let update: Partial<ServerSetupView>;
    try {
      update = { setup: await engineService().getServerSetup(view.profile), error: null };
    } catch (error) {
      update = { setup: null, error: envelopeOf(error) };
    }
    // Closed, or opened for another profile, meanwhile: this answer is stale.
    const now = get().serverSetup;
    if (now?.profile === view.profile) set({ serverSetup: { ...now, ...update, loading: false } });
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
  if (error.code.startsWith('PH_CONFIG_')) {
    const where = error.where?.line !== undefined ? `line ${error.where.line}${error.where.column !== undefined ? `, column ${error.where.column}` : ''}: ` : '';
    return { title: 'The profile does not load', text: `${where}${error.where?.path ? `${error.where.path}: ` : ''}${error.message}` };
  }
  if (error.code === 'PH_PROFILE_NOT_FOUND') return { title: 'No such profile', text: error.message };
  return { title: 'Server setup failed', text: asSentence(error.message) };
}

