import { describe, expect, it } from 'vitest';
import type { EngineSnapshot } from '../src-core/host/api/index.js';
import { INITIAL_NOTIFIER_STATE, nextNotifications } from './notifications.js';
import type { AppNotification, NotifierState } from './notifications.js';
import { bridge, exposure, snapshot } from './testing/snapshots.js';

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
});
