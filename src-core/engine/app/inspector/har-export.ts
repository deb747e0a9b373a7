/**
 * Captured entries as HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), for browsers'
 * and tools' viewers. Secret header and cookie values are masked unless revealed. Porthole's own
 * fields start with `_` as the spec asks: `_visitor`, `_replayOf`, `_state`, `_truncated`,
 * `_websocket`, `_note`. Connections that were not HTTP have no HAR form and are left out.
 */
import type { CapturedEntry } from './captured-entry.js';
import { headerValue } from './captured-entry.js';
import { bodyViewOf, decodeBody } from './body-decoding.js';
import type { HeaderField } from '../../common/http-parser.js';
import { MASK, shownHeaders } from './masking.js';

export interface HarOptions {
  /** Show Authorization and Cookie values as sent. */
  reveal?: boolean;
  /** `creator.version`. */
  version?: string;
}

export interface HarNameValue {
  name: string;
  value: string;
}

/** The HAR document (the fields Porthole writes). */
export interface Har {
  log: {
    version: '1.2';
    creator: { name: string; version: string };
    entries: HarEntry[];
  };
}

export interface HarEntry {
  startedDateTime: string;
  time: number;
  request: {
    method: string;
    url: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    queryString: HarNameValue[];
    postData?: { mimeType: string; text: string; params: HarNameValue[]; _encoding?: 'base64' };
    headersSize: number;
    bodySize: number;
  };
  response: {
    status: number;
    statusText: string;
    httpVersion: string;
    cookies: HarNameValue[];
    headers: HarNameValue[];
    content: { size: number; compression?: number; mimeType: string; text?: string; encoding?: 'base64' };
    redirectURL: string;
    headersSize: number;
    bodySize: number;
  };
  cache: Record<string, never>;
  timings: { blocked: number; dns: number; connect: number; send: number; wait: number; receive: number; ssl: number };
  connection: string;
  _visitor: string;
  _replayOf: number | null;
  _state: string;
  _truncated: boolean;
  _websocket?: unknown;
  _note?: string;
}

/** Headers as HAR pairs: values as text, secrets masked unless `reveal`. */
function pairs(headers: readonly HeaderField[], reveal: boolean): HarNameValue[] {
  return shownHeaders(headers.map(([name, value]) => [name, latin1ToText(value)]), reveal).map(([name, value]) => ({ name, value }));
}

/** Header values are kept byte for byte (latin1); most senders meant UTF-8. */
function latin1ToText(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

function cookiesOf(headers: readonly HeaderField[], name: 'cookie' | 'set-cookie', reveal: boolean): HarNameValue[] {
  const values = headers.filter(([field]) => field.toLowerCase() === name).map(([, value]) => value);
  const pairsOf = name === 'cookie' ? values.flatMap((value) => value.split(';')) : values.map((value) => value.split(';')[0] ?? '');
  return pairsOf.map((pair) => pair.trim()).filter((pair) => pair !== '').map((pair) => {
    const equals = pair.indexOf('=');
    const cookie = equals === -1 ? { name: '', value: pair } : { name: pair.slice(0, equals), value: pair.slice(equals + 1) };
    return reveal ? cookie : { ...cookie, value: MASK };
  });
}

function textOf(data: Buffer, headers: readonly HeaderField[]): { text: string; base64: boolean } {
  const view = bodyViewOf(data, headers);
  return view === 'hex' ? { text: data.toString('base64'), base64: true } : { text: data.toString('utf8'), base64: false };
}

async function entryOf(entry: CapturedEntry, reveal: boolean): Promise<HarEntry | undefined> {
  const request = entry.request;
  if (!request) return undefined;
  const response = entry.response;
  const host = headerValue(request.headers, 'host') ?? 'localhost';
  const url = /^[a-z][a-z0-9+.-]*:\/\//i.test(request.target) ? request.target : `http://${host}${request.target}`;
  const queryString = [...safeUrl(url).searchParams].map(([name, value]) => ({ name, value }));
  const requestType = headerValue(request.headers, 'content-type') ?? '';
  let postData: HarEntry['request']['postData'];
  if (request.body.size > 0) {
    const { text, base64 } = textOf(request.body.data, request.headers);
    const params = requestType.startsWith('application/x-www-form-urlencoded') && !base64 ? [...new URLSearchParams(text)].map(([name, value]) => ({ name, value })) : [];
    postData = { mimeType: requestType, text, params, ...(base64 ? { _encoding: 'base64' as const } : {}) };
  }
  let content: HarEntry['response']['content'] = { size: 0, mimeType: '' };
  if (response) {
    const decoded = await decodeBody(response.body, response.headers);
    const { text, base64 } = textOf(decoded.data, response.headers);
    content = {
      size: decoded.codings.length > 0 && !decoded.partial ? decoded.data.length : response.body.size,
      ...(decoded.codings.length > 0 && !decoded.partial ? { compression: response.body.size - decoded.data.length } : {}),
      mimeType: headerValue(response.headers, 'content-type') ?? '',
      ...(decoded.data.length > 0 ? { text, ...(base64 ? { encoding: 'base64' as const } : {}) } : {}),
    };
  }
  const time = Math.max(0, entry.durationMs ?? 0);
  return {
    startedDateTime: new Date(entry.startedAt).toISOString(),
    time,
    request: {
      method: request.method,
      url,
      httpVersion: `HTTP/${request.httpVersion}`,
      cookies: cookiesOf(request.headers, 'cookie', reveal),
      headers: pairs(request.headers, reveal),
      queryString,
      ...(postData ? { postData } : {}),
      headersSize: request.headSize,
      bodySize: request.body.size,
    },
    response: {
      status: response?.status ?? 0,
      statusText: response?.reason ?? '',
      httpVersion: response ? `HTTP/${response.httpVersion}` : '',
      cookies: response ? cookiesOf(response.headers, 'set-cookie', reveal) : [],
      headers: response ? pairs(response.headers, reveal) : [],
      content,
      redirectURL: response ? latin1ToText(headerValue(response.headers, 'location') ?? '') : '',
      headersSize: response?.headSize ?? -1,
      bodySize: response ? response.body.size : -1,
    },
    cache: {},
    // Only the whole is measured at the bridge: it is all "wait".
    timings: { blocked: -1, dns: -1, connect: -1, send: 0, wait: time, receive: 0, ssl: -1 },
    connection: String(entry.connectionId),
    _visitor: entry.visitor,
    _replayOf: entry.replayOf,
    _state: entry.state,
    _truncated: request.body.truncated || (response?.body.truncated ?? false),
    ...(entry.websocket ? { _websocket: entry.websocket } : {}),
    ...(entry.note ? { _note: entry.note } : {}),
  };
}

function safeUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    return new URL('http://invalid/');
  }
}

/** The entries (oldest first) as one HAR 1.2 log. */
export async function toHar(entries: readonly CapturedEntry[], options: HarOptions = {}): Promise<Har> {
  const converted = await Promise.all(entries.map((entry) => entryOf(entry, options.reveal === true)));
  return {
    log: {
      version: '1.2',
      creator: { name: 'Porthole', version: options.version ?? '0' },
      entries: converted.filter((entry): entry is HarEntry => entry !== undefined),
    },
  };
}
