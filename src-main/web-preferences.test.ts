import { describe, expect, it } from 'vitest';
import { RENDERER_CSP, secureWebPreferences } from './web-preferences.js';

describe('secureWebPreferences', () => {
  it('locks every window down', () => {
    expect(secureWebPreferences('/app/preload.js')).toEqual({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      preload: '/app/preload.js',
    });
  });

  it('allows no inline or remote script', () => {
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
  });
});
