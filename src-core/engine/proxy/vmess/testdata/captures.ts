/** Shape and loader of `captures.json`: VMess bytes recorded from the real v2ray 4.34 (capture.md). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Bytes a v2ray *client* (vmess outbound) sent to a Node server. */
export interface ClientCapture {
  name: string;
  security: number;
  alterId: number;
  /** Unix seconds at capture; the AuthID (or legacy hash) is valid for ±120 s around it. */
  now: number;
  /** The dokodemo-door target the request carries. */
  target: { address: string; port: number };
  /** Request header and body, up to and including the EOS chunk (hex). */
  request: string;
  /** Plaintext the body carries (hex). */
  payload: string;
}

/** A request built by the Node client with fixed inputs, and what a v2ray *server* answered. */
export interface ServerCapture {
  name: string;
  security: number;
  legacyHeader: boolean;
  now: number;
  echoPort: number;
  bodyKey: string;
  bodyIv: string;
  responseAuth: number;
  paddingLength: number;
  padding: string;
  authId: string;
  connectionNonce: string;
  /** What the Node client sent (hex). */
  request: string;
  /** What v2ray answered: response header and body up to its EOS (hex). */
  response: string;
  /** Request payload; the response body is this XOR 0x5a (hex). */
  payload: string;
}

export interface CaptureFile {
  v2ray: string;
  uuid: string;
  clientCaptures: ClientCapture[];
  serverCaptures: ServerCapture[];
}

export function loadCaptures(): CaptureFile {
  return JSON.parse(readFileSync(fileURLToPath(new URL('./captures.json', import.meta.url)), 'utf8')) as CaptureFile;
}
