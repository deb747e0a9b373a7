/** Waiting on a Set up my server run through the engine service, for the remote-setup tests. */
import type { EngineService, RemoteSetup } from '../../src-core/host/api/index.js';
import { waitUntil } from './ports.js';

/** Resolves with the current run once `check` holds; the failure message shows the last run seen. */
export async function untilRun(engine: Pick<EngineService, 'getRemoteSetup'>, check: (run: RemoteSetup) => boolean, what: string, timeoutMs = 60_000): Promise<RemoteSetup> {
  let last: RemoteSetup | null = null;
  await waitUntil(async () => {
    last = await engine.getRemoteSetup();
    return last !== null && check(last);
  }, timeoutMs, `${what} (last: ${JSON.stringify(last, null, 1)})`);
  return last as unknown as RemoteSetup;
}

export const stepOf = (run: RemoteSetup, id: string) => run.steps.find((step) => step.id === id);

/** Not running any more: done, failed, waiting for the user or cancelled. */
export const ended = (run: RemoteSetup) => run.state !== 'running';
