import { describe, expect, it } from 'vitest';
import { ServiceError } from '../src-core/host/api/index.js';
import type { ExposureInput, ExposurePatch, ProfileSummary } from '../src-core/host/api/index.js';
import { createTrayActionHandler } from './tray-actions.js';
import type { TrayEffects, WindowPage } from './tray-actions.js';
import type { TrayAction, TrayState } from './tray-menu.js';
import { exposure } from './testing/snapshots.js';

const state: TrayState = {
  engine: 'running', error: null, portal: 'vps.example.com:443', links: 1, openConnections: 0, upRate: 0, downRate: 0, paused: false,
  exposures: [
    { id: 'e-00000001', name: 'Web', localHost: 'localhost', localPort: 80, publicAddress: 'vps.example.com:8080', localDown: false },
    { id: 'e-00000002', name: 'Dev', localHost: 'localhost', localPort: 5173, publicAddress: null, localDown: false },
  ],
};

function setUp(options: { failWith?: unknown; picked?: { path: string; text: string } | null; live?: boolean; clipboard?: string } = {}) {
  const log: string[] = [];
  const fail = (): void => { if (options.failWith !== undefined) throw options.failWith; };
  const service = {
    addExposure: async (input: ExposureInput) => {
      log.push(`addExposure ${JSON.stringify(input)}`);
      fail();
      return exposure({ id: 'e-00000003', localPort: input.localPort, ...(options.live ? { state: 'live' as const, publicAddress: 'vps.example.com:8081' } : {}) });
    },
    updateExposure: async (id: string, patch: ExposurePatch) => { log.push(`updateExposure ${id} ${JSON.stringify(patch)}`); fail(); return exposure({ id }); },
    setExposuresPaused: async (paused: boolean) => { log.push(`setExposuresPaused ${paused}`); fail(); },
    listProfiles: async (): Promise<ProfileSummary[]> => [],
    saveProfile: async (name: string) => { log.push(`saveProfile ${name}`); return { name, origin: 'store' as const, active: false, updatedAt: 0, error: null, roles: [] }; },
    activateProfile: async (name: string) => { log.push(`activateProfile ${name}`); return { state: 'running' as const, profile: name, since: 0, error: null, listening: [] }; },
  };
  const effects: TrayEffects = {
    copyText: (text) => log.push(`copy ${text}`),
    openWindow: (page?: WindowPage) => log.push(`open ${page ?? '(as it was)'}`),
    pickConfigFile: async () => options.picked ?? null,
    notify: (title, body) => log.push(`notify ${title}: ${body}`),
    quit: () => log.push('quit'),
    ...(options.clipboard !== undefined ? {
      readClipboard: async () => ({ text: options.clipboard ?? '', image: null }),
      offerAction: async (_title: string, _body: string, action: string) => { log.push(`offer ${action}`); return true; },
    } : {}),
  };
  return { log, handle: createTrayActionHandler(service, effects, () => state) };
}

describe('tray actions', () => {
  it.each<[TrayAction, string[]]>([
    [{ kind: 'expose-port', host: 'localhost', port: 80 }, ['addExposure {"localHost":"localhost","localPort":80}']],
    [{ kind: 'expose-port-dialog' }, ['open exposures/new']],
    [{ kind: 'copy-public-address', id: 'e-00000001' }, ['copy vps.example.com:8080']],
    [{ kind: 'stop-exposure', id: 'e-00000002' }, ['updateExposure e-00000002 {"enabled":false}']],
    [{ kind: 'inspect-exposure', id: 'e-00000001' }, ['open inspector/e-00000001']],
    [{ kind: 'open-window' }, ['open (as it was)']],
    [{ kind: 'open-remote-setup' }, ['open remote-setup']],
    [{ kind: 'pause-all' }, ['setExposuresPaused true']],
    [{ kind: 'resume' }, ['setExposuresPaused false']],
    [{ kind: 'quit' }, ['quit']],
    [{ kind: 'import-config' }, []],
  ])('%j → %j', async (action, effects) => {
    const { log, handle } = setUp();
    await handle(action);
    expect(log).toEqual(effects);
  });

  it('the one click copies the address when the exposure is live at once (built-in portal)', async () => {
    const { log, handle } = setUp({ live: true });
    await handle({ kind: 'expose-port', host: 'localhost', port: 80 });
    expect(log).toEqual(['addExposure {"localHost":"localhost","localPort":80}', 'copy vps.example.com:8081']);
  });

  it('copying an exposure that is not live says so instead', async () => {
    const { log, handle } = setUp();
    await handle({ kind: 'copy-public-address', id: 'e-00000002' });
    expect(log).toEqual([expect.stringMatching(/^notify No public address yet/)]);
  });

  it('imports a picked file, activates it as the first profile and shows Profiles', async () => {
    const { log, handle } = setUp({ picked: { path: '/home/me/vps.json', text: '{}' } });
    await handle({ kind: 'import-config' });
    expect(log).toEqual(['saveProfile vps', 'activateProfile vps', 'notify Imported "vps": It is now the active profile.', 'open profiles']);
  });

  it('joins from the clipboard and activates the profile when the notice\'s action is taken', async () => {
    const { log, handle } = setUp({
      clipboard: 'porthole://join?v=1&proto=vmess&addr=vps.example.com&port=443&id=6d70fd5f-16e6-46cc-88c9-8fa107d91bad&domain=home.example&name=alice',
    });
    await handle({ kind: 'join-from-clipboard' });
    expect(log).toEqual(['saveProfile alice', 'offer Activate', 'activateProfile alice', 'notify "alice" is active: The bridge is linking to the portal.']);
  });

  it('join from clipboard without a clipboard (no such effects) says where to paste instead', async () => {
    const { log, handle } = setUp();
    await handle({ kind: 'join-from-clipboard' });
    expect(log).toEqual(['notify Join from clipboard is not available here: Paste the link in Profiles → Join with an invite link.']);
  });

  it.each([
    ['a service error', new ServiceError('PH_EXPOSURE_BAD_INPUT', 'localhost:80 is already exposed'), 'notify Could not expose the port: localhost:80 is already exposed'],
    ['a bug', new TypeError('x is undefined'), 'notify Could not expose the port: Something went wrong; the log has the details.'],
  ])('a failed click becomes a notice (%s)', async (_name, error, notice) => {
    const { log, handle } = setUp({ failWith: error });
    await handle({ kind: 'expose-port', host: 'localhost', port: 80 });
    expect(log).toEqual(['addExposure {"localHost":"localhost","localPort":80}', notice]);
  });
});
