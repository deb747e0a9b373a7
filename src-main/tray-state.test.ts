import { describe, expect, it } from 'vitest';
import { buildTrayMenu, trayCopyText, trayIconState } from './tray-menu.js';
import { LINK_GRACE_MS, portalLabel, trayStateOf } from './tray-state.js';
import { bridge, exposure, portal, snapshot } from './testing/snapshots.js';

describe('trayStateOf', () => {
  it('maps a running bridge: links, totals, the portal it dials', () => {
    const state = trayStateOf(snapshot({ totals: { bytesUp: 9, bytesDown: 9, upRate: 1536, downRate: 2048, openConnections: 3 } }), 'vps.example.com:443');
    expect(state).toEqual({
      engine: 'running', error: null, portal: 'vps.example.com:443', links: 2, openConnections: 3,
      upRate: 1536, downRate: 2048, paused: false, exposures: [],
    });
    expect(trayIconState(state)).toBe('active');
    expect(buildTrayMenu(state)[0]?.label).toBe('Portal vps.example.com:443 · 2 links, 3 connections');
  });

  it('lists switched-on exposures, with an address only once live', () => {
    const state = trayStateOf(snapshot({
      exposures: [
        exposure({ id: 'e-00000001', state: 'live', publicAddress: 'vps.example.com:8080' }),
        exposure({ id: 'e-00000002', localPort: 5173, name: 'Vite', state: 'requesting', publicAddress: null }),
        exposure({ id: 'e-00000003', localPort: 22, enabled: false, state: 'disabled' }),
        // a V2Ray portal: Server setup says where it will be, but it is not live until applied
        exposure({ id: 'e-00000004', localPort: 8000, state: 'setup-needed', publicAddress: 'vps.example.com:9000', portalKind: 'v2ray' }),
      ],
    }), null);
    expect(state.exposures).toEqual([
      { id: 'e-00000001', name: 'localhost:80', localHost: 'localhost', localPort: 80, publicAddress: 'vps.example.com:8080', localDown: false },
      { id: 'e-00000002', name: 'Vite', localHost: 'localhost', localPort: 5173, publicAddress: null, localDown: false },
      { id: 'e-00000004', name: 'localhost:80', localHost: 'localhost', localPort: 8000, publicAddress: null, localDown: false },
    ]);
  });

  it('a named exposure: the menu shows its URL and Copy gives it (not host:port)', () => {
    const state = trayStateOf(snapshot({ exposures: [exposure({ id: 'e-00000001', name: 'Web', state: 'live', publicAddress: 'vps.example.com:20001', urls: ['https://web.tunnel.example.com'] })] }), null);
    expect(state.exposures[0]).toMatchObject({ publicAddress: 'vps.example.com:20001', url: 'https://web.tunnel.example.com' });
    const item = buildTrayMenu(state).find((entry) => entry.id === 'exposure:e-00000001');
    expect([item?.label, item?.submenu?.[0]?.label]).toEqual(['Web (localhost:80) → https://web.tunnel.example.com', 'Copy URL']);
    expect(trayCopyText(state.exposures[0] ?? { publicAddress: null })).toBe('https://web.tunnel.example.com');
    // Not live yet: no URL to give out.
    const waiting = trayStateOf(snapshot({ exposures: [exposure({ id: 'e-00000001', state: 'requesting', publicAddress: null, urls: ['https://web.tunnel.example.com'] })] }), null);
    expect(waiting.exposures[0]?.url).toBeUndefined();
  });

  it('local-down: keeps the public address (its port is open) and flags the exposure', () => {
    const state = trayStateOf(snapshot({ exposures: [exposure({ id: 'e-00000001', name: 'Web', localPort: 3000, state: 'local-down', publicAddress: 'vps.example.com:8080', localReachable: false })] }), null);
    expect(state.exposures).toEqual([{ id: 'e-00000001', name: 'Web', localHost: 'localhost', localPort: 3000, publicAddress: 'vps.example.com:8080', localDown: true }]);
    expect(trayIconState(state)).toBe('error');
  });

  it('paused: says so, lists nothing to stop', () => {
    const state = trayStateOf(snapshot({ exposuresPaused: true, exposures: [exposure({ id: 'e-00000001', state: 'disabled' })] }), null);
    expect([state.paused, state.exposures, trayIconState(state)]).toEqual([true, [], 'idle']);
  });

  it('a failed start is the error, with its message', () => {
    const failed = snapshot({ bridges: [] });
    failed.status = { ...failed.status, state: 'failed', error: { code: 'PH_ENGINE_START_FAILED', message: 'the engine could not start: port 80 in use' } };
    const state = trayStateOf(failed, null);
    expect([state.error?.message, trayIconState(state)]).toEqual(['the engine could not start: port 80 in use', 'error']);
  });

  it.each([
    ['just started, still dialling', [bridge('connecting')], LINK_GRACE_MS - 1, null],
    ['just started, nothing open yet', [bridge('down')], 1_000, null],
    ['past the grace, still connecting', [bridge('connecting')], LINK_GRACE_MS, 'no link to vps.example.com:443 yet, still trying'],
    ['past the grace, no link at all', [bridge('down')], 60_000, 'no link to vps.example.com:443, retrying (see Logs)'],
    ['one of two bridges up', [bridge('down', 'a'), bridge('up', 'b')], 60_000, null],
  ] as const)('link errors: %s', (_name, bridges, sinceMs, message) => {
    const state = trayStateOf(snapshot({ bridges: [...bridges] }, sinceMs), 'vps.example.com:443');
    expect(state.error?.message ?? null).toBe(message);
    if (message) expect(trayIconState(state)).toBe('error');
  });

  it('a stopped engine is idle, whatever its bridges said last', () => {
    const stopped = snapshot({ bridges: [] }, 60_000);
    stopped.status = { ...stopped.status, state: 'stopped' };
    const state = trayStateOf(stopped, null);
    expect([state.error, trayIconState(state), state.links]).toEqual([null, 'idle', 0]);
  });

  it('counts portal links when this instance is only a portal', () => {
    const state = trayStateOf(snapshot({ bridges: [], portals: [portal(3)] }), null);
    expect(state.links).toBe(3);
  });
});

describe('portalLabel', () => {
  it('prefers the address the bridge dials, then "this machine" for a local portal', () => {
    expect(portalLabel(snapshot(), 'vps.example.com:443')).toBe('vps.example.com:443');
    expect(portalLabel(snapshot({ exposures: [exposure({ id: 'e-00000001', portalKind: 'local' })] }), null)).toBe('this machine');
    expect(portalLabel(snapshot({ portals: [portal(1)] }), null)).toBe('this machine');
    expect(portalLabel(snapshot(), null)).toBeNull();
  });
});
