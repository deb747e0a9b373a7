/**
 * Reads a request body up to a size cap, and refuses a larger one with a 413 the client actually
 * gets. Closing the socket while the client is still uploading does not work: the kernel answers
 * unread bytes with a reset, and the reset makes the client's kernel throw away the 413 it has not
 * read yet (RFC 9112 §9.6 "tear-down"). So the whole 413 is written at once and the rest of the
 * upload is read and discarded until the client stops sending (or a cap is reached); only then is
 * the response ended and, with `Connection: close`, the connection closed.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { finished } from 'node:stream';

/** What to answer with when the body is too large. */
export interface BodyRefusal {
  contentType: string;
  text: string;
}

export interface BodyLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** How much of a refused upload is read and discarded before giving up on a clean close. */
  maxDiscardBytes?: number;
  /** How long a refused upload may go on before the connection is closed anyway. */
  maxDiscardMs?: number;
}

const DEFAULT_DISCARD_BYTES = 64 << 20;
const DEFAULT_DISCARD_MS = 10_000;

/** The declared Content-Length, or undefined when the body is chunked or the header is unusable. */
function declaredLength(request: IncomingMessage): number | undefined {
  const header = request.headers['content-length'];
  if (header === undefined || !/^\d+$/.test(header)) return undefined;
  return Number(header);
}

function expectsContinue(request: IncomingMessage): boolean {
  return (request.headers.expect ?? '').toLowerCase() === '100-continue';
}

/**
 * Resolves with the body, or with undefined once it has answered 413 itself (the response is then
 * taken care of: the caller must not touch it). For `Expect: 100-continue`, the 100 is sent only
 * for a body that may fit, so an oversized upload announced up front never starts.
 */
export function readBodyWithin(request: IncomingMessage, response: ServerResponse, limits: BodyLimits, refusal: BodyRefusal): Promise<Buffer | undefined> {
  const declared = declaredLength(request);
  if (declared !== undefined && declared > limits.maxBytes) {
    refuse(request, response, limits, refusal, 0);
    return Promise.resolve(undefined);
  }
  if (expectsContinue(request)) response.writeContinue();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limits.maxBytes) {
        chunks.push(chunk);
        return;
      }
      cleanUp();
      chunks.length = 0;
      refuse(request, response, limits, refusal, size);
      resolve(undefined);
    };
    const onEnd = (): void => {
      cleanUp();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      cleanUp();
      reject(error);
    };
    const cleanUp = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    request.on('data', onData);
    request.once('end', onEnd);
    request.once('error', onError);
  });
}

/** Writes the whole 413 now, discards the rest of the upload, and ends the response once it stops. */
function refuse(request: IncomingMessage, response: ServerResponse, limits: BodyLimits, refusal: BodyRefusal, alreadyRead: number): void {
  response.writeHead(413, {
    'Content-Type': refusal.contentType,
    'Content-Length': Buffer.byteLength(refusal.text),
    'Cache-Control': 'no-store',
    Connection: 'close',
  });
  // write, not end: ending now would close the socket under the client's upload.
  response.write(refusal.text);
  const maxDiscard = limits.maxDiscardBytes ?? DEFAULT_DISCARD_BYTES;
  let discarded = alreadyRead;
  let done = false;
  // Ending the response closes the connection (Connection: close). A client still sending past
  // the caps then sees a reset; it has had its answer for a while.
  const finish = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    request.off('data', onData);
    response.end();
  };
  const onData = (chunk: Buffer): void => {
    discarded += chunk.length;
    if (discarded > maxDiscard) finish();
  };
  const timer = setTimeout(finish, limits.maxDiscardMs ?? DEFAULT_DISCARD_MS);
  timer.unref();
  request.on('data', onData);
  request.resume();
  finished(request, finish);
}
