import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isExternalLinkAllowed, RENDERER_CSP, secureWebPreferences } from './web-preferences.js';

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

  it('allows no inline or remote script, and no inline style', () => {
    expect(RENDERER_CSP).toContain("script-src 'self'");
    expect(RENDERER_CSP).toContain("style-src 'self'");
    expect(RENDERER_CSP).not.toMatch(/unsafe-eval|unsafe-inline|unsafe-hashes/);
  });
});

describe('isExternalLinkAllowed', () => {
  it.each([
    ['https://github.com/porthole', true],
    ['http://vps.example.com:8080/', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://server/share', false],
    ['https://user:pw@example.com/', false],
    ['not a url', false],
  ])('%s → %s', (url, allowed) => {
    expect(isExternalLinkAllowed(url)).toBe(allowed);
  });
});

describe('the renderer page', () => {
  it('carries a CSP meta tag as strict as ours for scripts', () => {
    const html = readFileSync(new URL('../src-renderer/index.html', import.meta.url), 'utf8');
    const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-eval|unsafe-inline|unsafe-hashes/);
  });

  it('carries the same policy as the header, but for what a meta tag cannot say', () => {
    const html = readFileSync(new URL('../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? '';
    // frame-ancestors is ignored in a meta tag (CSP 3 §6.4), so only the header carries it.
    const header = RENDERER_CSP.split('; ').filter((directive) => !directive.startsWith('frame-ancestors'));
    expect(new Set(meta.split('; '))).toEqual(new Set(header));
  });
});
