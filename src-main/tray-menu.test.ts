import { describe, expect, it } from 'vitest';
import { buildTrayMenu, formatRate, TOOLTIP_MAX, trayIconState, trayTooltip, withClickHandlers } from './tray-menu.js';
import type { MenuItemTemplate, TrayAction, TrayState } from './tray-menu.js';

const idle: TrayState = { engine: 'stopped', error: null, portal: null, links: 0, openConnections: 0, upRate: 0, downRate: 0, paused: false, exposures: [] };
const running: TrayState = { ...idle, engine: 'running', portal: 'vps.example.com:443', links: 2, openConnections: 3, upRate: 1536, downRate: 2.5 * 1024 * 1024 };
const twoExposures: TrayState = {
  ...running,
  exposures: [
    { id: 'web', name: 'localhost:80', localHost: 'localhost', localPort: 80, publicAddress: 'vps.example.com:8080', localDown: false },
    { id: 'dev', name: 'Vite', localHost: '127.0.0.1', localPort: 5173, publicAddress: null, localDown: false },
  ],
};
const paused: TrayState = { ...running, paused: true, openConnections: 0, upRate: 0, downRate: 0 };
const failed: TrayState = { ...idle, engine: 'failed', error: { code: 'PH_DIAL_REFUSED', message: 'portal vps.example.com:443 refused the connection' } };
const webDown = { id: 'web', name: 'Web', localHost: 'localhost', localPort: 3000, publicAddress: 'vps.example.com:8080', localDown: true };
const localDown: TrayState = { ...running, exposures: [webDown] };
const localDownIpv6: TrayState = { ...running, exposures: [{ ...webDown, name: '::1:3000', localHost: '::1' }] };
const linkDown: TrayState = { ...running, links: 0, error: { code: 'PH_DIAL_TIMEOUT', message: 'link to vps.example.com:443 timed out' } };

/** label → [enabled, action] for the top level, separators as '---'. */
function outline(menu: MenuItemTemplate[]): (string | [string, boolean, TrayAction | undefined])[] {
  return menu.map((item) => (item.type === 'separator' ? '---' : [item.label ?? '', item.enabled !== false, item.action]));
}

function byId(menu: MenuItemTemplate[], id: string): MenuItemTemplate | undefined {
  for (const item of menu) {
    if (item.id === id) return item;
    const inner = item.submenu && byId(item.submenu, id);
    if (inner) return inner;
  }
  return undefined;
}

describe('buildTrayMenu', () => {
  it('idle: not running, exposing allowed, nothing to pause', () => {
    expect(outline(buildTrayMenu(idle))).toEqual([
      ['Not running', false, undefined],
      '---',
      ['Expose localhost:80', true, { kind: 'expose-port', host: 'localhost', port: 80 }],
      ['Expose a port…', true, { kind: 'expose-port-dialog' }],
      '---',
      ['Open Porthole', true, { kind: 'open-window' }],
      ['Set up my server…', true, { kind: 'open-remote-setup' }],
      ['Import V2Ray config…', true, { kind: 'import-config' }],
      ['Join from clipboard', true, { kind: 'join-from-clipboard' }],
      '---',
      ['Pause all', false, { kind: 'pause-all' }],
      ['Quit', true, { kind: 'quit' }],
    ]);
  });

  it.each([
    ['idle', idle, 'Not running'],
    ['running, 2 links, 3 connections', running, 'Portal vps.example.com:443 · 2 links, 3 connections'],
    ['one link, one connection', { ...running, links: 1, openConnections: 1 }, 'Portal vps.example.com:443 · 1 link, 1 connection'],
    ['paused', paused, 'Paused · Portal vps.example.com:443 · 2 links, 0 connections'],
    ['starting', { ...idle, engine: 'starting', portal: 'vps.example.com:443' }, 'Connecting to vps.example.com:443…'],
    ['failed', failed, 'Error: portal vps.example.com:443 refused the connection'],
    ['link down', linkDown, 'Error: link to vps.example.com:443 timed out'],
    ['garbage counts', { ...running, links: -1, openConnections: Number.NaN }, 'Portal vps.example.com:443 · 0 links, 0 connections'],
  ] as const)('status line when %s', (_name, state, line) => {
    const status = buildTrayMenu(state)[0];
    expect(status).toEqual({ id: 'status', label: line, enabled: false });
  });

  it('two exposures: one submenu each with Copy public address, Inspect… and Stop', () => {
    const menu = buildTrayMenu(twoExposures);
    expect(outline(menu).slice(4, 7)).toEqual(['---', ['localhost:80 → vps.example.com:8080', true, undefined], ['Vite (127.0.0.1:5173) (setting up…)', true, undefined]]);
    expect(byId(menu, 'exposure:web')?.submenu).toEqual([
      { id: 'exposure:web:copy', label: 'Copy public address', enabled: true, action: { kind: 'copy-public-address', id: 'web' } },
      { id: 'exposure:web:inspect', label: 'Inspect…', action: { kind: 'inspect-exposure', id: 'web' } },
      { id: 'exposure:web:stop', label: 'Stop', action: { kind: 'stop-exposure', id: 'web' } },
    ]);
    // no public address yet: nothing to copy, but it can be stopped
    expect(byId(menu, 'exposure:dev:copy')?.enabled).toBe(false);
    expect(byId(menu, 'exposure:dev:stop')?.action).toEqual({ kind: 'stop-exposure', id: 'dev' });
    // localhost:80 is already exposed: the one-click item is greyed out
    expect(byId(menu, 'expose-one-click')?.enabled).toBe(false);
    expect(byId(menu, 'expose-dialog')?.enabled).toBe(true);
  });

  it('an exposure whose local service does not answer: a problem line under the status, and on its item', () => {
    const menu = buildTrayMenu(localDown);
    expect(outline(menu).slice(0, 6)).toEqual([
      ['Portal vps.example.com:443 · 2 links, 3 connections', false, undefined],
      ['Problem: Nothing answers on localhost:3000 (Web)', false, undefined],
      '---',
      ['Expose localhost:80', true, { kind: 'expose-port', host: 'localhost', port: 80 }],
      ['Expose a port…', true, { kind: 'expose-port-dialog' }],
      '---',
    ]);
    expect(byId(menu, 'exposure:web')?.label).toBe('Web (localhost:3000) → vps.example.com:8080 · nothing answers locally');
    // the public port is open: its address can still be copied
    expect(byId(menu, 'exposure:web:copy')?.enabled).toBe(true);
  });

  it('several exposures down: the problem line counts them; an engine error outranks it', () => {
    const two: TrayState = { ...running, exposures: [webDown, { ...webDown, id: 'api', name: 'localhost:4000', localPort: 4000 }] };
    expect(byId(buildTrayMenu(two), 'problem')?.label).toBe('Problem: Nothing answers locally for 2 exposures');
    expect(byId(buildTrayMenu({ ...linkDown, exposures: [webDown] }), 'problem')).toBeUndefined();
    expect(byId(buildTrayMenu({ ...localDown, paused: true }), 'problem')).toBeUndefined();
  });

  it.each([
    ['idle', idle, 'pause-all', false],
    ['running', running, 'pause-all', true],
    ['paused', paused, 'resume', true],
    ['failed', failed, 'pause-all', false],
  ] as const)('%s offers %s (enabled: %s)', (_name, state, id, enabled) => {
    const menu = buildTrayMenu(state);
    expect(byId(menu, id)?.enabled !== false).toBe(enabled);
    expect(byId(menu, id === 'resume' ? 'pause-all' : 'resume')).toBeUndefined();
  });

  it('offers "Set up my server…" in every state, right under "Open Porthole"', () => {
    for (const state of [idle, running, twoExposures, paused, failed, localDown]) {
      const menu = buildTrayMenu(state);
      const index = menu.findIndex((item) => item.id === 'remote-setup');
      expect([menu[index - 1]?.id, menu[index]]).toEqual(['open-window', { id: 'remote-setup', label: 'Set up my server…', action: { kind: 'open-remote-setup' } }]);
    }
  });

  it('paused: no new exposures until resumed', () => {
    const menu = buildTrayMenu(paused);
    expect([byId(menu, 'expose-one-click')?.enabled, byId(menu, 'expose-dialog')?.enabled, byId(menu, 'resume')?.action]).toEqual([false, false, { kind: 'resume' }]);
  });

  it('is plain data (survives JSON) and always ends with Quit', () => {
    for (const state of [idle, running, twoExposures, paused, failed]) {
      const menu = buildTrayMenu(state);
      expect(JSON.parse(JSON.stringify(menu))).toEqual(menu);
      expect(menu.at(-1)).toEqual({ id: 'quit', label: 'Quit', action: { kind: 'quit' } });
    }
  });
});

describe('trayIconState and trayTooltip', () => {
  it.each([
    ['idle', idle, 'idle', 'Porthole — not running'],
    ['running', running, 'active', 'Porthole — ↑ 1.5 KB/s  ↓ 2.5 MB/s'],
    ['running without links yet', { ...running, links: 0, upRate: 0, downRate: 0 }, 'idle', 'Porthole — ↑ 0 B/s  ↓ 0 B/s'],
    ['two exposures', twoExposures, 'active', 'Porthole — ↑ 1.5 KB/s  ↓ 2.5 MB/s'],
    ['paused', paused, 'idle', 'Porthole — paused'],
    ['failed', failed, 'error', 'Porthole — Error: portal vps.example.com:443 refused the connection'],
    ['link down', linkDown, 'error', 'Porthole — Error: link to vps.example.com:443 timed out'],
    ['a local service down', localDown, 'error', 'Porthole — nothing answers on localhost:3000 (Web)'],
    ['an unnamed one on IPv6', localDownIpv6, 'error', 'Porthole — nothing answers on [::1]:3000'],
  ] as const)('%s → %s icon, tooltip %j', (_name, state, icon, tooltip) => {
    expect(trayIconState(state)).toBe(icon);
    expect(trayTooltip(state)).toBe(tooltip);
  });

  it('keeps the tooltip within the Windows limit', () => {
    const long = trayTooltip({ ...failed, error: { code: 'PH_X', message: 'x'.repeat(500) } });
    expect(long.length).toBe(TOOLTIP_MAX);
    expect(long.endsWith('…')).toBe(true);
  });

  it.each([
    [0, '0 B/s'], [-5, '0 B/s'], [Number.NaN, '0 B/s'], [Infinity, '0 B/s'], [512, '512 B/s'], [1023, '1023 B/s'],
    [1024, '1.0 KB/s'], [1536, '1.5 KB/s'], [20 * 1024, '20 KB/s'], [1024 * 1024 - 1, '1.0 MB/s'], [3 * 1024 ** 3, '3.0 GB/s'],
  ])('formatRate(%s) = %s', (rate, text) => {
    expect(formatRate(rate)).toBe(text);
  });
});

describe('withClickHandlers', () => {
  it('binds actions, nested ones too, and leaves no action behind', () => {
    const seen: TrayAction[] = [];
    const bound = withClickHandlers(buildTrayMenu(twoExposures), (action) => seen.push(action));
    const exposure = bound.find((item) => item.id === 'exposure:web');
    exposure?.submenu?.find((item) => item.id === 'exposure:web:stop')?.click?.();
    bound.find((item) => item.id === 'quit')?.click?.();
    expect(seen).toEqual([{ kind: 'stop-exposure', id: 'web' }, { kind: 'quit' }]);
    expect(bound[0]?.click).toBeUndefined();
    expect(JSON.stringify(bound)).not.toContain('"action"');
  });
});
