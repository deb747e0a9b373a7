/**
 * The inspector's captured entries as they leave the engine for the UI (issue 6/7): a list row
 * without headers or bodies, and a full entry whose headers went through `shownEntry` (secrets
 * masked unless revealed) and whose bodies are decoded from their Content-Encoding, bounded, and
 * base64-encoded for JSON transports.
 */
import type { InspectorBody, InspectorBodyView, InspectorEntry, InspectorSummary } from '../api/index.js';
import { INSPECTOR_SHOWN_BODY_BYTES } from '../api/index.js';
import { bodyViewOf, decodeBody } from '../../engine/app/inspector/body-decoding.js';
import { headerValue, type CapturedBody, type CapturedEntry } from '../../engine/app/inspector/captured-entry.js';
import type { HeaderField } from '../../engine/common/http-parser.js';
import { isSecretHeader, shownEntry } from '../../engine/app/inspector/masking.js';

/** Most bytes a body is decoded to before the display cap cuts it (a zip bomb stops here). */
const DECODE_LIMIT = 4 * INSPECTOR_SHOWN_BODY_BYTES;

/** Header values are kept byte for byte (latin1); most senders meant UTF-8. */
export function latin1ToText(value: string): string {
  const bytes = Buffer.from(value, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : value;
}

function headerText([name, value]: HeaderField): [string, string] {
  return [name, latin1ToText(value)];
}

/** One row of the live list. */
export function inspectorSummary(entry: CapturedEntry): InspectorSummary {
  const { request, response, websocket, rawBytes } = entry;
  return {
    id: entry.id,
    exposureId: entry.exposureId,
    kind: entry.kind,
    startedAt: entry.startedAt,
    durationMs: entry.durationMs,
    state: entry.state,
    visitor: entry.visitor,
    method: request?.method ?? null,
    target: request?.target ?? null,
    status: response?.status ?? null,
    requestSize: (request?.size ?? 0) + (rawBytes?.fromVisitor ?? 0) + (websocket?.fromVisitor.bytes ?? 0),
    responseSize: (response?.size ?? 0) + (rawBytes?.fromService ?? 0) + (websocket?.fromService.bytes ?? 0),
    contentType: response ? headerValue(response.headers, 'content-type') ?? null : null,
    replayOf: entry.replayOf,
    messages: websocket ? { fromVisitor: websocket.fromVisitor.messages, fromService: websocket.fromService.messages } : null,
    note: entry.note,
  };
}

/** A body decoded for display: at most `INSPECTOR_SHOWN_BODY_BYTES` of it, with every size said. */
export async function inspectorBody(body: CapturedBody, headers: readonly HeaderField[], capBytes: number): Promise<InspectorBody> {
  const decoded = await decodeBody(body, headers, DECODE_LIMIT);
  const shown = decoded.data.subarray(0, INSPECTOR_SHOWN_BODY_BYTES);
  const contentType = headerValue(headers, 'content-type') ?? null;
  const guessed = bodyViewOf(shown, headers);
  const view: InspectorBodyView = guessed !== 'empty' && contentType?.toLowerCase().startsWith('image/') ? 'image' : guessed;
  return {
    base64: shown.toString('base64'),
    size: body.size,
    capturedBytes: body.data.length,
    truncated: body.truncated,
    capBytes,
    codings: decoded.codings,
    decodedBytes: decoded.data.length,
    partial: decoded.partial || shown.length < decoded.data.length,
    problem: decoded.problem,
    view,
    contentType,
  };
}

/** One entry in full, masked unless `reveal`. */
export async function inspectorEntry(entry: CapturedEntry, reveal: boolean, capBytes: number): Promise<InspectorEntry> {
  // Values as text first (the mask is not latin1), then masked the one way everything leaves the engine.
  const shown = shownEntry({
    ...entry,
    request: entry.request && { ...entry.request, headers: entry.request.headers.map(headerText) },
    response: entry.response && { ...entry.response, headers: entry.response.headers.map(headerText) },
  }, reveal);
  const { request, response, websocket } = shown;
  const hasSecrets = [...entry.request?.headers ?? [], ...entry.response?.headers ?? []].some(([name]) => isSecretHeader(name));
  const direction = (side: NonNullable<CapturedEntry['websocket']>['fromVisitor']) => ({ bytes: side.bytes, frames: side.frames, messages: side.messages, firstTexts: [...side.firstTexts] });
  return {
    ...inspectorSummary(entry),
    connectionId: entry.connectionId,
    revealed: reveal,
    hasSecrets,
    request: request && {
      method: request.method,
      target: request.target,
      httpVersion: request.httpVersion,
      headers: request.headers.map(([name, value]) => [name, value]),
      body: await inspectorBody(request.body, request.headers, capBytes),
      size: request.size,
    },
    response: response && {
      status: response.status,
      reason: response.reason,
      httpVersion: response.httpVersion,
      headers: response.headers.map(([name, value]) => [name, value]),
      body: await inspectorBody(response.body, response.headers, capBytes),
      size: response.size,
      interim: [...response.interim],
    },
    websocket: websocket && { fromVisitor: direction(websocket.fromVisitor), fromService: direction(websocket.fromService), closeCode: websocket.closeCode },
    rawBytes: entry.rawBytes && { ...entry.rawBytes },
  };
}
