import { describe, expect, it } from 'vitest';
import { describeLinkProblem } from './bridges.js';

// The messages as the bridge keeps them (bridge.lastProblem), from the transport's lines (bad-input.integration.test.ts).
const cases: [string, string, string][] = [
  ['PH_DIAL_FAILED', 'could not open a link to the portal: tls to 127.0.0.1:4430: the server\'s certificate is not trusted (self-signed certificate): add it or its CA to tlsSettings.certificates, or set allowInsecure', 'The portal’s certificate is not trusted'],
  ['PH_DIAL_FAILED', 'could not open a link to the portal: tls to 127.0.0.1:4430: the server\'s certificate is not valid for "other.test"', 'The portal’s certificate is for another name'],
  ['PH_DIAL_FAILED', 'could not open a link to the portal: tls to 127.0.0.1:4430: the server has no certificate for "vps.example.com" (tlsv1 unrecognized name): a portal that gets it through ACME may still be ordering it (its log or Overview says)', 'The portal has no certificate for this name yet'],
  ['PH_DIAL_FAILED', 'could not open a link to the portal: websocket wss://vps.example.com:443/wrong: the server answered 404 Not Found instead of switching to WebSocket: check wsSettings.path', 'Wrong WebSocket path'],
  ['PH_DIAL_FAILED', 'could not open a link to the portal: websocket ws://127.0.0.1:4430/tunnel: the server answered 400 Bad Request instead of switching to WebSocket (Client sent an HTTP request to an HTTPS server.): check wsSettings.path and whether it expects TLS', 'The portal expects TLS'],
  ['PH_DIAL_FAILED', 'could not open a link to the portal: websocket ws://127.0.0.1:8080/tunnel: the server answered 200 OK instead of switching to WebSocket (hello)', 'The server answered plain HTTP, not WebSocket'],
  ['PH_DIAL_FAILED', 'could not open a link to the portal: tls to 127.0.0.1:1024: the server did not answer the TLS handshake (no answer in 10000 ms): does it speak TLS?', 'No TLS at the portal’s address'],
  ['PH_DIAL_REFUSED', 'could not open a link to the portal: connection refused by 127.0.0.1:1024: is the portal running, on that address and port?', 'Nothing listens at the portal’s address'],
  ['PH_CLOSED', 'link to the portal lost: closed', 'The link to the portal was lost'],
];

describe('describeLinkProblem', () => {
  it.each(cases)('%s %s', (code, message, title) => {
    const view = describeLinkProblem({ code, message });
    expect(view.title).toBe(title);
    // The detail is the engine's line (peer included), only without the bridge's prefix.
    expect(view.detail).toBe(message.replace(/^[^:]*: /, ''));
  });

  it('names the peer in the detail', () => {
    expect(describeLinkProblem({ code: 'PH_DIAL_FAILED', message: 'could not open a link to the portal: websocket wss://vps.example.com:443/wrong: the server answered 404 Not Found instead of switching to WebSocket: check wsSettings.path' }).detail)
      .toBe('websocket wss://vps.example.com:443/wrong: the server answered 404 Not Found instead of switching to WebSocket: check wsSettings.path');
  });
});
