/**
 * Secrets in captured headers: `Authorization`, `Proxy-Authorization`, `Cookie` and `Set-Cookie`
 * values are masked wherever the inspector shows or exports headers, unless the user revealed
 * them. The scheme of an Authorization value (`Bearer`, `Basic`) and cookie names stay visible,
 * so a masked list still says what was sent.
 */
import type { CapturedEntry } from './captured-entry.js';
import type { HeaderField } from '../../common/http-parser.js';

export const MASK = '••••••';

const AUTHORIZATION = new Set(['authorization', 'proxy-authorization']);

/** One header value as shown: masked when its name is a secret one. */
export function maskHeaderValue(name: string, value: string): string {
  const key = name.toLowerCase();
  if (AUTHORIZATION.has(key)) {
    const space = value.indexOf(' ');
    return space > 0 ? `${value.slice(0, space)} ${MASK}` : MASK;
  }
  if (key === 'cookie') return value.split(';').map((pair) => maskCookiePair(pair.trim())).join('; ');
  if (key === 'set-cookie') {
    const [first = '', ...attributes] = value.split(';');
    return [maskCookiePair(first.trim()), ...attributes.map((attribute) => attribute.trim())].join('; ');
  }
  return value;
}

function maskCookiePair(pair: string): string {
  const equals = pair.indexOf('=');
  return equals === -1 ? MASK : `${pair.slice(0, equals)}=${MASK}`;
}

/** The headers as shown: as they are when `reveal`, else with secret values masked. */
export function shownHeaders(headers: readonly HeaderField[], reveal: boolean): HeaderField[] {
  return headers.map(([name, value]) => [name, reveal ? value : maskHeaderValue(name, value)]);
}

/** True when a header's value would be masked. */
export function isSecretHeader(name: string): boolean {
  const key = name.toLowerCase();
  return AUTHORIZATION.has(key) || key === 'cookie' || key === 'set-cookie';
}

/**
 * `entry` as it may leave the engine (the list, IPC, the dashboard): a copy whose request and
 * response headers are masked unless `reveal`. The stored entry is not changed.
 */
export function shownEntry(entry: CapturedEntry, reveal: boolean): CapturedEntry {
  if (reveal) return entry;
  return {
    ...entry,
    request: entry.request && { ...entry.request, headers: shownHeaders(entry.request.headers, false) },
    response: entry.response && { ...entry.response, headers: shownHeaders(entry.response.headers, false) },
  };
}
