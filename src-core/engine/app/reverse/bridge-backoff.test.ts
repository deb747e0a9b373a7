/**
 * How often a bridge dials a portal that is not there, and how fast it comes back after a link
 * that was up drops (issue "Survival II", defect 7). In memory, on a fake clock: the dispatcher
 * refuses every dial, or hands the link to a real in-memory Portal.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PortholeError } from '../../common/errors.js';
import type { Destination } from '../../common/net.js';
import type { Session } from '../../common/session.js';
import type { CountedStream, Dispatcher } from '../../features/dispatcher.js';
import { forComponent } from '../../features/log.js';
import { DefaultLogger } from '../log/logger.js';
import { newSession } from '../../common/session.js';
import { createLinkPair } from '../../transport/link.js';
import { BRIDGE_BACKOFF_MAX_MS, BRIDGE_CONNECT_TIMEOUT_MS, BRIDGE_SILENCE_REPORTED_MS, Bridge, bridgeRetryDelayMs } from './bridge.js';
import { Portal } from './portal.js';

const DOMAIN = 'test.v2ray.com';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('bridgeRetryDelayMs', () => {
  it('is none after no failure, then doubles from 250 ms up to 2 s, jittered between half and all of it', () => {
    const failures = [0, 1, 2, 3, 4, 5, 6, 7, 50];
    expect(failures.map((count) => bridgeRetryDelayMs(count, () => 1))).toEqual([0, 250, 500, 1000, 2000, 2000, 2000, 2000, 2000]);
    expect(failures.map((count) => bridgeRetryDelayMs(count, () => 0))).toEqual([0, 125, 250, 500, 1000, 1000, 1000, 1000, 1000]);
  });
});

/** A bridge whose dials all fail as a closed port does, and the lines it writes. */
function refusedBridge() {
  const lines: string[] = [];
  const logger = new DefaultLogger({ level: 'info', errorSink: { write: (line) => lines.push(line) } });
  let dials = 0;
  let portal: Portal | undefined;
  const dispatcher: Dispatcher = {
    dispatch(session: Session, target: Destination, connection: CountedStream): void {
      // Sessions out of the tunnel have nowhere to go here; only the bridge's link dials count.
      if (target.address.value !== DOMAIN) {
        connection.destroy();
        return;
      }
      dials += 1;
      if (portal) portal.process(session, target, connection);
      else process.nextTick(() => connection.destroy(new PortholeError('PH_DIAL_REFUSED', 'dial 127.0.0.1:9 > connect ECONNREFUSED 127.0.0.1:9')));
    },
  };
  const bridge = new Bridge({ tag: 'bridge', domain: DOMAIN, dispatcher, log: forComponent(logger, 'app/reverse/bridge'), streamBufferBytes: 64 * 1024 });
  return {
    bridge,
    lines,
    logger,
    get dials() {
      return dials;
    },
    /** From now on dials reach this portal (undefined: refused again). */
    setPortal(next: Portal | undefined) {
      portal = next;
    },
  };
}

/** Lets the fake clock run `ms`, a little at a time, so stream callbacks (process.nextTick) run in between. */
async function run(ms: number): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += 50) await vi.advanceTimersByTimeAsync(50);
}

describe('a bridge whose portal is unreachable', () => {
  it('backs off to one dial every few seconds, and summarises its failures', async () => {
    const fake = refusedBridge();
    const { bridge, lines, logger } = fake;
    await bridge.start();
    await run(60_000);
    const dialsInAMinute = fake.dials;
    await bridge.close();
    logger.close();
    // Capped at 2 s with jitter (1–2 s): about 40 a minute, never fewer than 30 or more than 60.
    // Before: 250 ms doubling to 1 s, and the 2-second monitor dialling past the wait too, about 110.
    expect(dialsInAMinute).toBeGreaterThanOrEqual(30);
    expect(dialsInAMinute).toBeLessThanOrEqual(60);
    const full = lines.filter((line) => line.includes('could not open a link') && !line.includes('… '));
    expect(full).toHaveLength(3);
    expect(lines.length).toBeLessThanOrEqual(3 + 7);
  });

  it('dials again at once when a link that was up drops, and backs off from a portal that drops links as soon as they are up', async () => {
    const fake = refusedBridge();
    const newPortal = () => new Portal({ tag: 'portal', domain: DOMAIN, log: forComponent(fake.logger, 'app/reverse/portal'), streamBufferBytes: 64 * 1024, waitForLinkMs: 2000 });
    let portal = newPortal();
    fake.setPortal(portal);
    await fake.bridge.start();
    await run(5_000);
    expect([fake.dials, fake.bridge.activeLinks]).toEqual([1, 1]);
    // The link was up for 5 s and drops (the portal restarts): the redial waits for no backoff.
    const restarted = newPortal();
    fake.setPortal(restarted);
    await portal.close();
    portal = restarted;
    await vi.advanceTimersByTimeAsync(1);
    expect(fake.dials).toBe(2);
    await run(1_000);
    expect(fake.bridge.activeLinks).toBe(1);

    // A portal that drops each link right after it is up: the redials back off as after failures.
    const before = fake.dials;
    for (let round = 0; round < 40; round += 1) {
      await run(250);
      if (fake.bridge.activeLinks > 0) {
        const next = newPortal();
        fake.setPortal(next);
        await portal.close();
        portal = next;
      }
    }
    // 10 s of a portal that flaps at once: a dial each time would be about 40; backoff keeps it to a handful.
    expect(fake.dials - before).toBeLessThanOrEqual(12);
    await fake.bridge.close();
    await portal.close();
    fake.logger.close();
    expect(BRIDGE_BACKOFF_MAX_MS).toBe(2000);
  });
});

describe('a link the portal does not answer', () => {
  /** A bridge whose first link reaches a real in-memory portal and whose later links reach one that never answers. */
  function bridgeWithSilentSecondLink() {
    const lines: string[] = [];
    const logger = new DefaultLogger({ level: 'info', errorSink: { write: (line) => lines.push(line) } });
    const portal = new Portal({ tag: 'portal', domain: DOMAIN, log: forComponent(logger, 'app/reverse/portal'), streamBufferBytes: 64 * 1024, waitForLinkMs: 2000 });
    let dials = 0;
    const dispatcher: Dispatcher = {
      dispatch(session: Session, target: Destination, connection: CountedStream): void {
        // Sessions out of the tunnel are held open: they keep the link busy.
        if (target.address.value !== DOMAIN) return;
        dials += 1;
        if (dials === 1) portal.process(session, target, connection);
      },
    };
    const bridge = new Bridge({ tag: 'bridge', domain: DOMAIN, dispatcher, log: forComponent(logger, 'app/reverse/bridge'), streamBufferBytes: 64 * 1024 });
    return { bridge, portal, lines, logger, dials: () => dials };
  }

  // Silence is how V2Ray (and Porthole) answer credentials they reject, and what a stalled portal
  // says: the link is kept, so a portal that wakes finds it live, not a closed one in its queue.
  it('alone, is reported after 10 s and kept until 60 s, then given up and redialed', async () => {
    const lines: string[] = [];
    const logger = new DefaultLogger({ level: 'info', errorSink: { write: (line) => lines.push(line) } });
    const links: CountedStream[] = [];
    const silent: Dispatcher = { dispatch: (_session, _target, connection) => { links.push(connection); } };
    const bridge = new Bridge({ tag: 'bridge', domain: DOMAIN, dispatcher: silent, log: forComponent(logger, 'app/reverse/bridge'), streamBufferBytes: 64 * 1024 });
    await bridge.start();
    await run(BRIDGE_SILENCE_REPORTED_MS - 1_000);
    expect({ links: links.length, problem: bridge.lastProblem }).toEqual({ links: 1, problem: null });
    await run(3_000);
    expect(bridge.lastProblem).toEqual({
      code: 'PH_PORTAL_SILENT',
      message: "could not open a link to the portal: the portal has not answered for 10 s: authentication rejected? (check the user ID, the clock, and that the domain matches the portal's) Or the portal is stalled: the link waits up to 60 s",
    });
    expect(lines.filter((line) => line.includes('has not answered'))).toHaveLength(1);
    await run(BRIDGE_CONNECT_TIMEOUT_MS - BRIDGE_SILENCE_REPORTED_MS - 4_000);
    expect({ links: links.length, destroyed: links[0]?.destroyed, lines: lines.filter((line) => line.includes('has not answered')).length }).toEqual({ links: 1, destroyed: false, lines: 1 });
    await run(5_000);
    expect(links[0]?.destroyed).toBe(true);
    expect(links.length).toBe(2);
    expect(bridge.lastProblem?.message).toBe('could not open a link to the portal: the portal did not answer within 60 s: authentication rejected, or the portal is stalled');
    await bridge.close();
    logger.close();
  });

  it('beside a working link, is waited for 60 s and not reported: the portal answers the others', async () => {
    const fake = bridgeWithSilentSecondLink();
    await fake.bridge.start();
    await run(1_000);
    expect(fake.bridge.activeLinks).toBe(1);
    // More than 16 sessions on the link: the bridge opens a second one, which the portal never answers.
    for (let i = 0; i < 20; i += 1) {
      const { outboundEnd } = createLinkPair();
      fake.portal.process(newSession({ inboundTag: 'public', level: 0 }), { network: 'tcp', address: { kind: 'domain', value: 'service.test' }, port: 80 }, outboundEnd);
    }
    await run(2_500);
    expect(fake.dials()).toBe(2);
    await run(BRIDGE_CONNECT_TIMEOUT_MS - 5_000);
    expect({ dials: fake.dials(), problem: fake.bridge.lastProblem }).toEqual({ dials: 2, problem: null });
    await run(5_000 + 2_500);
    expect(fake.bridge.lastProblem?.message).toMatch(/did not answer within 60 s: while it answers the others/);
    await fake.bridge.close();
    await fake.portal.close();
    fake.logger.close();
  });
});
