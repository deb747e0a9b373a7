/**
 * Turning a captured body (base64 from the service, already decoded from gzip/br/deflate) into
 * what the detail view shows: text, parsed JSON, form fields, a hex dump, an image's data: URL.
 * Pure functions (no DOM), each bounded, so a 1 MiB body never means a million DOM nodes.
 */

/** Characters of text shown at most; the rest is said to be cut. */
export const TEXT_SHOWN_CHARS = 256 * 1024;
/** Bytes of a hex dump shown at most (16 per line: 1,024 lines). */
export const HEX_SHOWN_BYTES = 16 * 1024;

/** A request's duration: `12 ms`, `1.25 s`, then as `formatDuration` says from a minute on. */
export function formatRequestTime(milliseconds: number, longer: (milliseconds: number) => string): string {
  if (milliseconds < 1000) return `${Math.max(0, Math.round(milliseconds))} ms`;
  if (milliseconds < 60_000) return `${(milliseconds / 1000).toFixed(milliseconds < 10_000 ? 2 : 1)} s`;
  return longer(milliseconds);
}

export function base64ToBytes(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index += 1) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

export function bytesToText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** The text, or undefined when the bytes are not valid UTF-8 (a cut last character is fine). */
export function strictText(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytesToText(bytes);
    return text.slice(0, -1).includes('\uFFFD') ? undefined : text;
  }
}

export type JsonParse = { ok: true; value: unknown } | { ok: false; problem: string };

export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
}

/** `a=1&b=two` → pairs, `+` as space; a bad escape is shown as sent. */
export function formFields(text: string): [string, string][] {
  return text.split('&').filter((pair) => pair !== '').map((pair) => {
    const equals = pair.indexOf('=');
    const [name, value] = equals === -1 ? [pair, ''] : [pair.slice(0, equals), pair.slice(equals + 1)];
    return [decodeFormPart(name), decodeFormPart(value)];
  });
}

function decodeFormPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part;
  }
}

/** `00000010  48 65 6c 6c 6f …  |Hello…|` lines for the first `HEX_SHOWN_BYTES`. */
export function hexLines(bytes: Uint8Array, limit = HEX_SHOWN_BYTES): string[] {
  const lines: string[] = [];
  const end = Math.min(bytes.length, limit);
  for (let offset = 0; offset < end; offset += 16) {
    const row = bytes.subarray(offset, Math.min(offset + 16, end));
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, '0'));
    const left = hex.slice(0, 8).join(' ');
    const right = hex.slice(8).join(' ');
    const ascii = [...row].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.')).join('');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${left.padEnd(23)}  ${right.padEnd(23)}  |${ascii}|`);
  }
  return lines;
}

/** Image types an `<img>` shows from a data: URL (the window's CSP allows `img-src data:`). */
const PREVIEWABLE = /^image\/(png|jpe?g|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon|svg\+xml)$/i;

/** A data: URL for the preview, or undefined for a type not shown (or a body cut short, which would show broken). */
export function imageDataUrl(contentType: string | null, base64: string, partial: boolean): string | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  if (!PREVIEWABLE.test(type) || partial) return undefined;
  return `data:${type};base64,${base64}`;
}
