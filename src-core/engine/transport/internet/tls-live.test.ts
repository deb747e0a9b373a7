/**
 * A TLS inbound whose certificate arrives while it runs (`tlsSettings.acme`): before it does, a
 * client is refused at once with the reason, not with an obscure handshake failure; once it is
 * there, the very same listener presents it.
 */
import type { SecureContext } from 'node:tls';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { waitUntil } from '../../../../test/support/ports.js';
import type { Connection } from './connection.js';
import { listen } from './listen.js';
import type { LiveCertificateStatus, LiveServerCertificate } from './tls.js';
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
      await expect(handshake(port, issued.certPem)).rejects.toThrow();
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
