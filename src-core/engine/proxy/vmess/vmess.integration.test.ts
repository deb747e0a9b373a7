/**
 * Live interop with the real V2Ray 4.34 binary on 127.0.0.1 (ephemeral ports, bounded time):
 * - Node client → v2ray vmess inbound → freedom → XOR echo, for each security and header kind;
 * - v2ray dokodemo-door → v2ray vmess outbound → Node server (handshake + body codecs), whose XOR
 *   answer v2ray must accept.
 * Skipped when /usr/bin/v2ray is not installed.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createVmessUser } from './account.js';
import { COMMAND, SECURITY, type BodySecurity } from './consts.js';
import {
  exchangeThrough,
  nodeClientExchange,
  SECURITY_CONFIG_NAME,
  startNodeVmessServer,
  startV2RayReady,
  startXorEchoUntil,
  TEST_UUID,
  v2rayClientConfig,
  v2rayServerConfig,
  xor5a,
} from './testdata/harness.js';
import { freePort, waitUntil } from '../../../../test/support/ports.js';
import { v2rayAvailable, type V2RayProcess } from '../../../../test/support/v2ray.js';

const SECURITIES: BodySecurity[] = [SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none];

describe.skipIf(!v2rayAvailable())('VMess against v2ray 4.34', () => {
  describe('Node client → v2ray server', () => {
    let v2ray: V2RayProcess;
    let port: number;
    const user = createVmessUser(TEST_UUID, { tag: 'test' });
    const legacyUser = createVmessUser(TEST_UUID, { alterId: 4, tag: 'test' });

    beforeAll(async () => {
      port = await freePort();
      v2ray = await startV2RayReady(v2rayServerConfig(port, 4));
    });
    afterAll(async () => {
      await v2ray?.stop();
    });

    const cases = [
      ...SECURITIES.map((security) => ({ security, legacyHeader: false })),
      ...SECURITIES.map((security) => ({ security, legacyHeader: true })),
    ];
    test.each(cases)('security $security, legacy header $legacyHeader', async ({ security, legacyHeader }) => {
      const payload = randomBytes(5000 + security);
      // The upstream ends after echoing everything, so v2ray sends a response EOS.
      const echo = await startXorEchoUntil(payload.length);
      const exchange = await nodeClientExchange(
        port,
        {
          user: legacyHeader ? legacyUser : user,
          security,
          command: COMMAND.tcp,
          address: security === SECURITY.none ? { kind: 'domain', value: 'localhost' } : { kind: 'ipv4', value: '127.0.0.1' },
          port: echo.port,
        },
        payload,
      ).finally(() => echo.close());
      expect({ ended: exchange.ended, payload: exchange.payload.equals(xor5a(payload)) }).toEqual({ ended: true, payload: true });
    });

    test('Mux command: v2ray serves a Mux.Cool session inside the VMess stream', async () => {
      const data = randomBytes(100);
      const echo = await startXorEchoUntil(data.length);
      // New + Data, session 1, TCP 127.0.0.1:echo (wire doc §4.2).
      const metadata = Buffer.from([0x00, 0x01, 0x01, 0x01, 0x01, echo.port >> 8, echo.port & 0xff, 0x01, 127, 0, 0, 1]);
      const frame = Buffer.concat([Buffer.from([0, metadata.length]), metadata, Buffer.from([data.length >> 8, data.length & 0xff]), data]);
      const expected = xor5a(data);
      const exchange = await nodeClientExchange(port, { user, security: SECURITY.chacha20Poly1305, command: COMMAND.mux }, frame, 10_000, (received) =>
        received.includes(expected),
      ).finally(() => echo.close());
      // The answer is Keep + Data frames of session 1 carrying the XOR echo.
      expect({ start: exchange.payload.subarray(0, 6).toString('hex'), echo: exchange.payload.includes(expected) }).toEqual({
        start: '000400010201',
        echo: true,
      });
    });

    test('UDP datagram through freedom', async () => {
      const udp = dgram.createSocket('udp4');
      udp.on('message', (message, remote) => udp.send(xor5a(message), remote.port, remote.address));
      await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
      try {
        const payload = randomBytes(1000);
        const exchange = await nodeClientExchange(
          port,
          { user, security: SECURITY.aes128Gcm, command: COMMAND.udp, address: { kind: 'ipv4', value: '127.0.0.1' }, port: udp.address().port },
          payload,
        );
        expect(exchange.payload.equals(xor5a(payload))).toBe(true);
      } finally {
        udp.close();
      }
    });
  });

  describe('v2ray client → Node server', () => {
    const cases = [
      ...SECURITIES.map((security) => ({ security, alterId: 0 })),
      { security: SECURITY.aes128Gcm, alterId: 4 },
      { security: SECURITY.none, alterId: 4 },
    ];
    test.each(cases)('security $security, alterId $alterId', async ({ security, alterId }) => {
      const server = await startNodeVmessServer(alterId);
      const localPort = await freePort();
      const v2ray = await startV2RayReady(v2rayClientConfig(localPort, server.port, SECURITY_CONFIG_NAME[security], alterId));
      try {
        const payload = randomBytes(7000);
        const answer = await exchangeThrough(localPort, payload);
        expect(server.errors).toEqual([]);
        expect(answer.equals(xor5a(payload))).toBe(true);
        const [record] = server.records;
        expect({ security: record?.security, aead: record?.aead, payload: record?.payload.equals(payload) }).toEqual({
          security,
          aead: alterId === 0,
          payload: true,
        });
      } finally {
        await v2ray.stop();
        await server.close();
      }
    });

    test('mux enabled: command 0x03, no address, Mux.Cool frames in the body', async () => {
      const server = await startNodeVmessServer();
      const localPort = await freePort();
      const v2ray = await startV2RayReady(v2rayClientConfig(localPort, server.port, 'aes-128-gcm', 0, { address: '127.0.0.1', port: 7 }, true));
      const client = net.connect({ host: '127.0.0.1', port: localPort });
      client.on('error', () => {});
      try {
        client.write('hello mux');
        await waitUntil(() => Buffer.concat(server.live[0]?.payload ?? []).length >= 25, 5_000, 'the first mux frame');
        const { header, payload } = server.live[0]!;
        const frame = Buffer.concat(payload);
        // ML=12, session 1, New, Data, TCP, port 7, IPv4 127.0.0.1; then length 9 and "hello mux" (wire doc §4.2).
        const expected = Buffer.concat([Buffer.from('000c0001010101000701' + '7f000001' + '0009', 'hex'), Buffer.from('hello mux')]);
        expect({ command: header.command, address: header.address, port: header.port, frame: frame.toString('hex') }).toEqual({
          command: COMMAND.mux,
          address: { kind: 'domain', value: 'v1.mux.cool' },
          port: 0,
          frame: expected.toString('hex'),
        });
      } finally {
        client.destroy();
        await v2ray.stop();
        await server.close();
      }
    });
  });
});
