/**
 * The origin the window is served from: `app://porthole/` (Electron security checklist item 18,
 * "avoid file://"). A file: page shares one opaque origin with every file on the disk, so CSP
 * 'self', the IPC gate and the navigation guard could not tell our page from any other; a
 * standard, secure custom scheme gives it an origin of its own. No `electron` import.
 */

export const APP_SCHEME = 'app';
export const APP_HOST = 'porthole';
/** `app://porthole`: what the IPC gate and the navigation guard accept, and nothing else. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

/**
 * For `protocol.registerSchemesAsPrivileged`, before `ready`. `standard`: a real origin, relative
 * URLs and web storage; `secure`: a secure context, like https; `corsEnabled` and
 * `supportFetchAPI`: Vite's `<script type="module" crossorigin>` is fetched in CORS mode;
 * `codeCache`: V8 caches the bundle as it would for https. No `bypassCSP`: the CSP applies.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  corsEnabled: true,
  supportFetchAPI: true,
  codeCache: true,
} as const;

/** The window's URL for a page of the UI (its router reads the hash): `app://porthole/index.html#/exposures/new`. */
export function appPageUrl(page: string): string {
  return `${APP_ORIGIN}/index.html#/${page}`;
}

/** True for a URL on our origin exactly: scheme, host, no port and no credentials. */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.hostname === APP_HOST && parsed.port === '' && parsed.username === '' && parsed.password === '';
}
