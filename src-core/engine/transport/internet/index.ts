/**
 * The transport layer (V2Ray `transport/internet`): proxies dial and listen through it, and
 * `streamSettings` picks what carries their bytes (TCP or WebSocket, each with or without TLS).
 */
export type { Connection, Listener } from './connection.js';
export { DEFAULT_DIAL_TIMEOUT_MS, dial, prepareDialer } from './dial.js';
export { listen, summariseRejections, type ListenOptions, type RejectSeverity } from './listen.js';
export type { LiveCertificateStatus, LiveServerCertificate } from './tls.js';
