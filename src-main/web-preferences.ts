/**
 * The security settings every Porthole window is created with (Electron security checklist
 * items 2–4 and style.md point 11). Kept free of `electron` imports so it is testable in Node.
 */
export interface SecureWebPreferences {
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInWorker: false;
  webSecurity: true;
  allowRunningInsecureContent: false;
  preload: string;
}

/** Returns the locked-down webPreferences for a window whose preload script is `preloadPath`. */
export function secureWebPreferences(preloadPath: string): SecureWebPreferences {
  return {
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    preload: preloadPath,
  };
}

/**
 * The Content-Security-Policy of the renderer: own scripts and style sheets only, no eval, no
 * inline <style> or style="" markup, no remote content. The UI needs no 'unsafe-inline' for
 * styles: React's `style={{}}` and uPlot set styles through the CSSOM, which CSP does not govern,
 * and CodeMirror runs in a shadow root, where its styles go into an adopted (constructed) sheet
 * instead of a <style> element (see ConfigEditor.tsx). The same policy as index.html's meta tag.
 */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/**
 * Links the window may hand to the user's browser (`setWindowOpenHandler` opens them with
 * `shell.openExternal` and denies the window): plain http(s) pages without credentials. Never
 * `file:`, custom schemes or `javascript:`, which would run something on this machine.
 */
export function isExternalLinkAllowed(url: string): boolean {
  try {
    const parsed = new URL(url);
    return (parsed.protocol === 'https:' || parsed.protocol === 'http:') && parsed.username === '' && parsed.password === '';
  } catch {
    return false;
  }
}
