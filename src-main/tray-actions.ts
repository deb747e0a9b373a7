/**
 * What each tray menu item does (`TrayAction` → service call or window). The Electron wiring
 * supplies the few platform effects (`TrayEffects`: clipboard, window, file dialog, notices, quit);
 * everything else goes through the engine-service contract. No `electron` import, so each mapping
 * is tested with a fake service.
 */
import { toErrorEnvelope } from '../src-core/host/api/index.js';
import type { EngineService, ErrorEnvelope } from '../src-core/host/api/index.js';
import { importConfig } from './import-config.js';
import { runJoinFromClipboard, type ClipboardContent } from './join-from-clipboard.js';
import { trayCopyText, type TrayAction, type TrayState } from './tray-menu.js';

/** Renderer routes the tray opens (hash routes of `src-renderer/App.tsx`). */
export type WindowPage = 'overview' | 'exposures' | 'exposures/new' | 'profiles' | 'remote-setup' | `inspector/${string}`;

export interface TrayEffects {
  copyText(text: string): void;
  /** Shows the window (creating it if needed) on `page`. */
  openWindow(page?: WindowPage): void;
  /** Asks for a config file; resolves with its path and text, or null when cancelled. */
  pickConfigFile(): Promise<{ path: string; text: string } | null>;
  notify(title: string, body: string): void;
  quit(): void;
  /** Join from clipboard: the clipboard's text and picture (absent where there is no clipboard). */
  readClipboard?(): Promise<ClipboardContent>;
  /** A notice with one action ("Activate"); resolves true when the user takes it. */
  offerAction?(title: string, body: string, action: string): Promise<boolean>;
}

type TrayService = Pick<EngineService, 'addExposure' | 'updateExposure' | 'setExposuresPaused' | 'listProfiles' | 'saveProfile' | 'activateProfile'>;

function failure(what: string, error: unknown): [string, string] {
  const envelope: ErrorEnvelope = toErrorEnvelope(error);
  return [`Could not ${what}`, envelope.code === 'PH_INTERNAL' ? 'Something went wrong; the log has the details.' : envelope.message];
}

/**
 * Returns the handler for tray clicks. `currentState` gives the state the menu was drawn from
 * (the public address to copy). Every failure becomes a notice: a click never fails silently.
 */
export function createTrayActionHandler(service: TrayService, effects: TrayEffects, currentState: () => TrayState | undefined): (action: TrayAction) => Promise<void> {
  async function run(action: TrayAction): Promise<void> {
    switch (action.kind) {
      case 'expose-port': {
        const exposure = await service.addExposure({ localHost: action.host, localPort: action.port });
        // The "is live" notice comes from the snapshots once the portal has answered.
        const text = exposure.urls?.[0] ?? exposure.publicAddress;
        if (exposure.state === 'live' && text) effects.copyText(text);
        return;
      }
      case 'expose-port-dialog':
        effects.openWindow('exposures/new');
        return;
      case 'copy-public-address': {
        const shown = currentState()?.exposures.find((exposure) => exposure.id === action.id);
        const address = shown ? trayCopyText(shown) : null;
        if (address) effects.copyText(address);
        else effects.notify('No public address yet', 'This exposure is not live yet; Porthole copies nothing until it is.');
        return;
      }
      case 'stop-exposure':
        // Disable rather than remove: the Exposures page can switch it back on.
        await service.updateExposure(action.id, { enabled: false });
        return;
      case 'inspect-exposure':
        // Exposure ids are `e-` and hex (the API checks them): safe in the hash as they are.
        effects.openWindow(`inspector/${encodeURIComponent(action.id)}`);
        return;
      case 'open-window':
        // No page: a window that is already open stays where the user left it.
        effects.openWindow();
        return;
      case 'open-remote-setup':
        // The page picks up a run that is going (getRemoteSetup), so opening it mid-run is safe.
        effects.openWindow('remote-setup');
        return;
      case 'import-config': {
        const picked = await effects.pickConfigFile();
        if (!picked) return;
        const outcome = await importConfig(service, picked.path, picked.text);
        const { profile } = outcome;
        if (profile.error) effects.notify(`Imported "${profile.name}" with an error`, `${profile.error.message} (fix it in Profiles)`);
        else if (outcome.activationError) effects.notify(`Imported "${profile.name}", but it could not start`, outcome.activationError.message);
        else effects.notify(`Imported "${profile.name}"`, outcome.activated ? 'It is now the active profile.' : 'Activate it in Profiles when you want to use it.');
        effects.openWindow('profiles');
        return;
      }
      case 'join-from-clipboard': {
        const { readClipboard, offerAction } = effects;
        if (!readClipboard || !offerAction) {
          effects.notify('Join from clipboard is not available here', 'Paste the link in Profiles → Join with an invite link.');
          return;
        }
        await runJoinFromClipboard(service, { readClipboard, offerAction, notify: effects.notify, openWindow: effects.openWindow });
        return;
      }
      case 'pause-all':
        await service.setExposuresPaused(true);
        return;
      case 'resume':
        await service.setExposuresPaused(false);
        return;
      case 'quit':
        effects.quit();
        return;
    }
  }

  const describe: Record<TrayAction['kind'], string> = {
    'expose-port': 'expose the port',
    'expose-port-dialog': 'open the Exposures page',
    'copy-public-address': 'copy the address',
    'stop-exposure': 'stop the exposure',
    'inspect-exposure': 'open the inspector',
    'open-window': 'open the window',
    'open-remote-setup': 'open Set up my server',
    'import-config': 'import the config',
    'join-from-clipboard': 'join from the clipboard',
    'pause-all': 'pause the exposures',
    resume: 'resume the exposures',
    quit: 'quit',
  };

  return async (action) => {
    try {
      await run(action);
    } catch (error) {
      effects.notify(...failure(describe[action.kind], error));
    }
  };
}
