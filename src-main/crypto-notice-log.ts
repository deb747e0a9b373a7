/**
 * The tray app's log line for the engine's crypto notice (`EngineStatus.cryptoNotice`): the line
 * `porthole run` prints at start, saying which crypto path VMess takes here (in Electron, the
 * native cipher is left out and node:crypto runs on BoringSSL, with JavaScript fallbacks for what
 * it lacks). Once per engine start, however many snapshots say it.
 */
import type { EngineSnapshot } from '../src-core/host/api/index.js';

/** Returns, for each snapshot, the notice to log now, or undefined. */
export function createCryptoNoticeLog(): (snapshot: EngineSnapshot) => string | undefined {
  // The engine it was logged for, by the time it reached 'running' (a restart changes it).
  let loggedFor: number | undefined;
  return function cryptoNoticeToLog(snapshot) {
    const { status } = snapshot;
    if (status.state !== 'running' || !status.cryptoNotice || status.since === loggedFor) return undefined;
    loggedFor = status.since;
    return status.cryptoNotice;
  };
}
