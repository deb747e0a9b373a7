/**
 * `dial(destination, streamSettings)`: V2Ray's `internet.Dial`. TCP first, then TLS when
 * `security` is `tls`, then the WebSocket handshake when `network` is `ws`; the proxy gets the
 * resulting stream and does not know how it is carried (style.md point 17).
 */
import type net from 'node:net';
import type { StreamSettings } from '../../config/types.js';
import { dialTcp } from '../tcp.js';
import type { Connection } from './connection.js';
import { prepareClientTls, type ClientTls } from './tls.js';
import { openWebSocket } from './websocket.js';

export const DEFAULT_DIAL_TIMEOUT_MS = 10_000;

/** TLS contexts per settings object: certificate files are read once, not per connection. */
const prepared = new WeakMap<StreamSettings, ClientTls>();

function clientTlsFor(stream: StreamSettings): ClientTls | undefined {
  if (!stream.tls) return undefined;
  let clientTls = prepared.get(stream);
  if (!clientTls) {
    clientTls = prepareClientTls(stream.tls, stream.network === 'websocket');
    prepared.set(stream, clientTls);
  }
  return clientTls;
}

/**
 * Reads what the settings name (certificate files) and checks it, so that a handler fails when it
 * is built, with the config place, and not at its first connection.
 */
export function prepareDialer(stream: StreamSettings | undefined): void {
  if (stream) clientTlsFor(stream);
}

/** Dials `host:port` as `stream` says (plain TCP when undefined). Rejects with a PortholeError naming the peer and the cause. */
export async function dial(host: string, port: number, stream: StreamSettings | undefined, timeoutMs = DEFAULT_DIAL_TIMEOUT_MS): Promise<Connection> {
  const raw = await dialTcp(host, port, timeoutMs);
  if (!stream) return raw;
  const clientTls = clientTlsFor(stream);
  let socket: net.Socket = raw;
  if (clientTls) socket = await clientTls.connect(raw, host, port, timeoutMs);
  if (stream.ws) return openWebSocket(socket, raw, { host, port, secure: clientTls !== undefined }, stream.ws);
  return socket;
}
