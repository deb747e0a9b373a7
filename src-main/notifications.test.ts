import { describe, expect, it } from 'vitest';
import type { EngineSnapshot } from '../src-core/host/api/index.js';
import { INITIAL_NOTIFIER_STATE, LOCAL_DOWN_NOTICE_INTERVAL_MS, nextNotifications } from './notifications.js';
import type { AppNotification, NotifierState } from './notifications.js';
import { bridge, exposure, snapshot, T0 } from './testing/snapshots.js';

/** Feeds snapshots in order; returns what each one raised (titles and bodies). */
function run(...snapshots: EngineSnapshot[]): AppNotification[][] {
  let state: NotifierState = INITIAL_NOTIFIER_STATE;
  return snapshots.map((next) => {
    const result = nextNotifications(state, next);
    state = result.state;
    return result.notifications;
  });
}

const requesting = exposure({ id: 'e-00000001', name: 'Web', state: 'requesting' });
const live = exposure({ id: 'e-00000001', name: 'Web', state: 'live', publicAddress: 'vps.example.com:8080' });

describe('nextNotifications', () => {
  it('says when an exposure goes live, with its public address, once', () => {
    const raised = run(snapshot({ exposures: [requesting] }), snapshot({ exposures: [live] }), snapshot({ exposures: [live] }));
    expect(raised).toEqual([[], [{ id: 'exposure:e-00000001', title: 'Web (localhost:80) is live', body: 'Public address: vps.example.com:8080' }], []]);
  });

  it('says it again when the address changes', () => {
    const moved = exposure({ ...live, publicAddress: 'vps.example.com:8081' });
    expect(run(snapshot({ exposures: [requesting] }), snapshot({ exposures: [live] }), snapshot({ exposures: [moved] }))[2]).toEqual([
      { id: 'exposure:e-00000001', title: 'Web (localhost:80) is live', body: 'Public address: vps.example.com:8081' },
    ]);
  });

  it('takes the first snapshot as the baseline', () => {
    expect(run(snapshot({ exposures: [live] }))).toEqual([[]]);
  });

  it('names an unnamed exposure by its local address', () => {
    const plain = exposure({ id: 'e-00000002', name: 'localhost:80', state: 'live', publicAddress: 'vps.example.com:8080' });
    expect(run(snapshot(), snapshot({ exposures: [plain] }))[1]?.[0]?.title).toBe('localhost:80 is live');
  });

  it('says when the link drops and when it comes back, not when it first connects', () => {
    const raised = run(
      snapshot({ bridges: [bridge('connecting')] }),
      snapshot({ bridges: [bridge('up')] }),
      snapshot({ bridges: [bridge('connecting')] }),
      snapshot({ bridges: [bridge('down')] }),
      snapshot({ bridges: [bridge('up')] }),
    );
    expect(raised.map((list) => list.map((notification) => notification.title))).toEqual([
      [], [], ['Link to the portal dropped'], [], ['Link to the portal is back'],
    ]);
  });

  it('a link that goes because the engine stops is not a drop, and nothing is "back" after a restart', () => {
    const stopped = snapshot({ bridges: [] });
    stopped.status = { ...stopped.status, state: 'stopped' };
    const raised = run(snapshot({ bridges: [bridge('up')] }), stopped, snapshot({ bridges: [bridge('connecting')] }), snapshot({ bridges: [bridge('up')] }));
    expect(raised).toEqual([[], [], [], []]);
  });

  it('a drop, then a stop, then a fresh link: no "back"', () => {
    const stopped = snapshot({ bridges: [] });
    stopped.status = { ...stopped.status, state: 'stopped' };
    const raised = run(snapshot({ bridges: [bridge('up')] }), snapshot({ bridges: [bridge('down')] }), stopped, snapshot({ bridges: [bridge('up')] }));
    expect(raised.map((list) => list.length)).toEqual([0, 1, 0, 0]);
  });

  it('says when the engine fails, with why', () => {
    const failed = snapshot({ bridges: [] });
    failed.status = { ...failed.status, state: 'failed', error: { code: 'PH_ENGINE_START_FAILED', message: 'port 80 is in use' } };
    expect(run(snapshot(), failed, failed)).toEqual([[], [{ id: 'engine', title: 'Porthole stopped', body: 'port 80 is in use' }], []]);
  });

  describe('an exposure whose local service stops answering', () => {
    const down = exposure({ ...live, state: 'local-down', localReachable: false });
    /** `exposures` at `minutes` after T0 (snapshot time is what the rate limit counts, never the clock). */
    const at = (minutes: number, ...exposures: typeof live[]): EngineSnapshot => snapshot({ time: T0 + minutes * 60_000, exposures });
    const titles = (raised: AppNotification[][]): string[][] => raised.map((list) => list.map((notification) => notification.title));

    it('says so when it goes from live to local-down, and says when it answers again', () => {
      const raised = run(at(0, live), at(1, down), at(1.1, down), at(2, live), at(3, live));
      expect(raised[1]).toEqual([{
        id: 'exposure:e-00000001', title: 'Nothing answers on localhost:80',
        body: 'Web (localhost:80): its public address vps.example.com:8080 is open, but visitors get no answer. Start the service on port 80.',
      }]);
      expect(titles(raised)).toEqual([[], ['Nothing answers on localhost:80'], [], ['Web (localhost:80) answers again'], []]);
    });

    it('a service that flaps gets one notice per interval, and no "again" for a drop it did not announce', () => {
      const minutes = LOCAL_DOWN_NOTICE_INTERVAL_MS / 60_000;
      const raised = run(at(0, live), at(1, down), at(2, live), at(3, down), at(4, live), at(1 + minutes, live), at(2 + minutes, down));
      expect(titles(raised)).toEqual([
        [], ['Nothing answers on localhost:80'], ['Web (localhost:80) answers again'], [], [], [], ['Nothing answers on localhost:80'],
      ]);
    });

    it('down from the start is not news here (the window shows it), and a stop ends it quietly', () => {
      const stopped = at(2, exposure({ ...live, state: 'offline', publicAddress: null }));
      stopped.status = { ...stopped.status, state: 'stopped' };
      expect(titles(run(at(0, requesting), at(1, down), at(2, live)))).toEqual([[], [], []]);
      expect(titles(run(at(0, live), at(1, down), stopped, at(3, live)))).toEqual([[], ['Nothing answers on localhost:80'], [], ['Web (localhost:80) is live']]);
    });
  });
});
