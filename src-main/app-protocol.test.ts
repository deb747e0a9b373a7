import { describe, expect, it } from 'vitest';
import { APP_ORIGIN, appPageUrl, isAppUrl } from './app-protocol.js';

describe('the app:// origin', () => {
  it('names pages by hash under app://porthole/', () => {
    expect([APP_ORIGIN, appPageUrl('overview'), appPageUrl('exposures/new')])
      .toEqual(['app://porthole', 'app://porthole/index.html#/overview', 'app://porthole/index.html#/exposures/new']);
  });

  it.each([
    ['app://porthole/index.html#/logs', true],
    ['app://porthole/', true],
    ['app://porthole', true],
    ['app://porthole/assets/index.js?v=1', true],
    ['app://evil/index.html', false],
    ['app://porthole.evil.example/', false],
    ['app://porthole:8080/', false],
    ['app://user:pw@porthole/', false],
    ['file:///opt/Porthole/resources/app.asar/dist/renderer/index.html', false],
    ['https://porthole/', false],
    ['http://127.0.0.1:7070/', false],
    ['javascript:alert(1)', false],
    ['data:text/html,<script>1</script>', false],
    ['not a url', false],
  ])('%s → %s', (url, own) => {
    expect(isAppUrl(url)).toBe(own);
  });
});
