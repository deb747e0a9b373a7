/**
 * A TLS inbound whose certificate arrives while it runs (`tlsSettings.acme`): before it does, a
 * client is refused at once with a TLS alert that says so (and the log says why), not with an
 * obscure handshake failure; once it is there, the very same listener presents it.
 */
import net from 'node:net';
import type { SecureContext } from 'node:tls';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../../test/support/ports.js';
import type { Connection } from './connection.js';
import { listen } from './listen.js';
import { describeClientTlsError, type LiveCertificateStatus, type LiveServerCertificate } from './tls.js';
import { createCertificateFolder, openSslAvailable } from './testdata/certs.js';

const NAME = 'vps.example.test';

class ArrivingCertificate implements LiveServerCertificate {
  current: SecureContext | undefined;
  opened = 0;
  closed = 0;
  async open(): Promise<void> { this.opened += 1; }
  context(): SecureContext | undefined { return this.current; }
  missing(): string { return `the certificate for ${NAME} is being ordered from ca.example`; }
  describe(): LiveCertificateStatus { return { name: NAME, authority: 'ca.example', state: this.current ? 'issued' : 'pending' }; }
  async close(): Promise<void> { this.closed += 1; }
}

function handshake(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: NAME, ca }, () => {
      resolve(String(socket.getPeerCertificate().subject?.CN ?? ''));
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe.skipIf(!openSslAvailable())('a certificate that arrives while the inbound runs', () => {
  const folder = createCertificateFolder();
  afterAll(() => folder.remove());

  it('a client that connects and says nothing is not kept: the listener closes at once', async () => {
    const certificate = new ArrivingCertificate();
    const listener = await listen({
      host: '127.0.0.1', port: 0,
      stream: { network: 'tcp', security: 'tls', tls: { serverName: NAME, allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [], acme: { directory: 'https://ca.example/dir', storage: 'x', httpPort: 80 } } },
      certificate,
    }, () => {});
    const silent = net.connect(listener.address().port, '127.0.0.1');
    await new Promise((resolve) => silent.once('connect', resolve));
    const gone = new Promise((resolve) => silent.once('close', resolve));
    silent.on('error', () => {});
    // Within the test's time only if close() ends the silent connection rather than waiting out the handshake timeout.
    await listener.close();
    await gone;
    expect(certificate.closed).toBe(1);
  }, 5_000);

  it('refuses clients with the reason until it is there, then presents it; opened and closed with the listener', async () => {
    const certificate = new ArrivingCertificate();
    const rejected: string[] = [];
    const connections: Connection[] = [];
    const listener = await listen({
      host: '127.0.0.1', port: 0,
      stream: { network: 'tcp', security: 'tls', tls: { serverName: NAME, allowInsecure: false, disableSystemRoot: false, enableSessionResumption: false, certificates: [], acme: { directory: 'https://ca.example/dir', storage: 'x', httpPort: 80 } } },
      certificate,
      onRejected: (_source, why) => rejected.push(why),
    }, (connection) => connections.push(connection));
    const { port } = listener.address();
    const issued = folder.make('issued', NAME);
    try {
      expect(certificate.opened).toBe(1);
      // The client learns why: a fatal unrecognized_name alert, which the bridge's line explains.
      const refused = await handshake(port, issued.certPem).then(() => undefined, (error: unknown) => error);
      expect(refused).toMatchObject({ code: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME' });
      expect(describeClientTlsError(refused, NAME)).toBe(`the server has no certificate for "${NAME}" (tlsv1 unrecognized name): a portal that gets it through ACME may still be ordering it (its log or Overview says)`);
      // The inbound's line comes once the refused socket is gone.
      await waitUntil(() => rejected.length === 1, 5_000, 'the rejection reported');
      expect(rejected).toEqual([`no certificate to present yet: the certificate for ${NAME} is being ordered from ca.example`]);

      certificate.current = tls.createSecureContext({ cert: issued.certPem, key: issued.keyPem });
      expect(await handshake(port, issued.certPem)).toBe(NAME);
      await waitUntil(() => connections.length === 1, 5_000, 'the connection handed on');
    } finally {
      for (const connection of connections) connection.destroy();
      await listener.close();
    }
    expect(certificate.closed).toBe(1);
  });
});
