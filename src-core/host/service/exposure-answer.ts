/**
 * The portal's answer to an exposure request, awaited for a moment so that the one click shows
 * the exposure's URL (or the portal's reason) at once instead of a second later. Only while a
 * link is up (or the built-in portal's in-process link is being made): a server that is offline, or
 * V2Ray, answers at once.
 */
import type { AgentExposureStatus } from '../../engine/app/exposures/exposure-agent.js';
import type { Instance } from '../../engine/instance.js';

/** Long enough for a portal across the world, short enough for a click. */
export const ANSWER_WAIT_MS = 2000;
const POLL_MS = 10;

export async function awaitPortalAnswer(instance: () => Instance | undefined, id: string, waitMs = ANSWER_WAIT_MS): Promise<AgentExposureStatus | undefined> {
  const until = Date.now() + waitMs;
  for (;;) {
    const engine = instance();
    const status = engine?.exposures.status(id);
    // The built-in portal's link is in this process: "offline" there lasts only until it is made.
    const pending = status?.state === 'requesting' || (status?.state === 'offline' && engine?.exposureUplink?.kind === 'portal');
    if (!pending || Date.now() >= until) return status;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
