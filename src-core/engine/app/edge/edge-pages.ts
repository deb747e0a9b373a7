/**
 * The small pages the edge answers with itself. They name only what the visitor asked for (the
 * name they typed, escaped), never another exposure, the bridge or an internal error, so a page
 * cannot be used to learn what else the portal serves.
 */

export type EdgePageStatus = 308 | 400 | 401 | 403 | 404 | 405 | 408 | 421 | 431 | 502 | 503 | 504;

const PAGES: Readonly<Record<EdgePageStatus, { title: string; text: string }>> = {
  308: { title: 'Moved to HTTPS', text: 'This site is served over HTTPS.' },
  400: { title: 'Bad request', text: 'The request could not be understood.' },
  401: { title: 'Sign-in required', text: 'This site needs a user name and password.' },
  403: { title: 'Access denied', text: 'This site does not accept visitors from your address.' },
  404: { title: 'Unknown site', text: 'Nothing is served under this name here.' },
  405: { title: 'Method not allowed', text: 'This method is not supported here.' },
  408: { title: 'Request timeout', text: 'The request took too long to arrive.' },
  421: { title: 'Misdirected request', text: 'This connection was opened for another name. Open a new connection for this one.' },
  431: { title: 'Request headers too large', text: 'The request headers are larger than this server accepts.' },
  502: { title: 'Service unreachable', text: 'The service behind this name did not answer. It may be offline.' },
  503: { title: 'Service busy', text: 'The service behind this name has too many visitors right now. Try again shortly.' },
  504: { title: 'Service timeout', text: 'The service behind this name took too long to answer.' },
};

export const STATUS_TEXT: Readonly<Record<EdgePageStatus, string>> = {
  308: 'Permanent Redirect', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 421: 'Misdirected Request', 431: 'Request Header Fields Too Large',
  502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A complete HTML page for `status`; `hostname` is what the visitor asked for (shown escaped), if known. */
export function edgePage(status: EdgePageStatus, hostname?: string): string {
  const { title, text } = PAGES[status];
  const where = hostname ? `<p><code>${escapeHtml(hostname)}</code></p>` : '';
  return '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    + '<meta name="viewport" content="width=device-width,initial-scale=1">'
    + `<title>${status} ${title}</title>`
    + '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222;background:#fff}'
    + '@media (prefers-color-scheme:dark){body{color:#ddd;background:#111}}h1{font-size:1.4rem}</style></head>'
    + `<body><main><h1>${status} ${title}</h1><p>${text}</p>${where}</main></body></html>\n`;
}

/** The same page as a raw HTTP/1.1 response, for sockets that left Node's HTTP server (upgrades, client errors). */
export function rawEdgeResponse(status: EdgePageStatus, extraHeaders: Readonly<Record<string, string>> = {}, hostname?: string): string {
  const body = edgePage(status, hostname);
  const headers = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'Cache-Control': 'no-store',
    Connection: 'close',
    ...extraHeaders,
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${status} ${STATUS_TEXT[status]}\r\n${lines}\r\n${body}`;
}
