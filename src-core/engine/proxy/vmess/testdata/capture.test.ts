/**
 * Records fixed VMess vectors from the real v2ray into `captures.json` (see capture.md).
 * Runs only with PORTHOLE_CAPTURE_VMESS=1:
 *
 *   PORTHOLE_CAPTURE_VMESS=1 npx vitest run src-core/engine/proxy/vmess/testdata/capture.test.ts
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { createVmessUser } from '../account.js';
import { createAuthId } from '../aead.js';
import { COMMAND, SECURITY, type BodySecurity } from '../consts.js';
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
} from './harness.js';
import { freePort } from '../../../../../test/support/ports.js';
import { V2RAY_BINARY } from '../../../../../test/support/v2ray.js';
import type { CaptureFile, ClientCapture, ServerCapture } from './captures.js';

/** A recognisable payload that spans several chunks (1966 plaintext bytes per padded AEAD chunk). */
function capturePayload(length: number): Buffer {
  const text = 'porthole vmess capture 0123456789 ';
  return Buffer.from(text.repeat(Math.ceil(length / text.length)).slice(0, length));
}

const SECURITIES: BodySecurity[] = [SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none];

describe.skipIf(!process.env.PORTHOLE_CAPTURE_VMESS)('capture VMess vectors from v2ray', () => {
  test('capture', { timeout: 120_000 }, async () => {
    const clientCaptures: ClientCapture[] = [];
    const serverCaptures: ServerCapture[] = [];

    // v2ray as the client: dokodemo-door → vmess outbound → Node server that records the bytes.
    const clientCases = [...SECURITIES.map((security) => ({ security, alterId: 0 })), { security: SECURITY.aes128Gcm, alterId: 4 }];
    for (const { security, alterId } of clientCases) {
      const server = await startNodeVmessServer(alterId);
      const localPort = await freePort();
      const v2ray = await startV2RayReady(v2rayClientConfig(localPort, server.port, SECURITY_CONFIG_NAME[security], alterId));
      try {
        const payload = capturePayload(2500);
        const answer = await exchangeThrough(localPort, payload);
        expect(answer.equals(xor5a(payload))).toBe(true);
        const record = server.records[0]!;
        clientCaptures.push({
          name: `v2ray client, ${SECURITY_CONFIG_NAME[security]}, alterId ${alterId}`,
          security,
          alterId,
          now: record.now,
          target: { address: '127.0.0.1', port: 7 },
          request: record.request.toString('hex'),
          payload: payload.toString('hex'),
        });
      } finally {
        await v2ray.stop();
        await server.close();
      }
    }

    // v2ray as the server: Node client (fixed keys) → vmess inbound → freedom → XOR echo.
    const port = await freePort();
    const v2ray = await startV2RayReady(v2rayServerConfig(port, 4));
    try {
      const serverCases = [...SECURITIES.map((security) => ({ security, legacyHeader: false })), { security: SECURITY.aes128Gcm, legacyHeader: true }];
      for (const [index, { security, legacyHeader }] of serverCases.entries()) {
        const user = createVmessUser(TEST_UUID, { alterId: legacyHeader ? 4 : 0, tag: 'capture' });
        const payload = capturePayload(2500);
        const echo = await startXorEchoUntil(payload.length);
        const now = Math.floor(Date.now() / 1000);
        const fixed = {
          bodyKey: Buffer.alloc(16, 0x10 + index),
          bodyIv: Buffer.alloc(16, 0x20 + index),
          responseAuth: 0x40 + index,
          paddingLength: 5,
          padding: Buffer.from('PADDI'),
          authId: createAuthId(user.authId, now, Buffer.from([1, 2, 3, index])),
          connectionNonce: Buffer.from('0102030405060708', 'hex'),
          legacyTimestamp: now,
        };
        try {
          const exchange = await nodeClientExchange(
            port,
            { user, security, command: COMMAND.tcp, address: { kind: 'ipv4', value: '127.0.0.1' }, port: echo.port, nowSeconds: now, ...fixed },
            payload,
          );
          expect({ ended: exchange.ended, payload: exchange.payload.equals(xor5a(payload)) }).toEqual({ ended: true, payload: true });
          serverCaptures.push({
            name: `v2ray server, ${SECURITY_CONFIG_NAME[security]}, ${legacyHeader ? 'legacy' : 'AEAD'} header`,
            security,
            legacyHeader,
            now,
            echoPort: echo.port,
            bodyKey: fixed.bodyKey.toString('hex'),
            bodyIv: fixed.bodyIv.toString('hex'),
            responseAuth: fixed.responseAuth,
            paddingLength: fixed.paddingLength,
            padding: fixed.padding.toString('hex'),
            authId: fixed.authId.toString('hex'),
            connectionNonce: fixed.connectionNonce.toString('hex'),
            request: exchange.request.toString('hex'),
            response: exchange.response.toString('hex'),
            payload: payload.toString('hex'),
          });
        } finally {
          await echo.close();
        }
      }
    } finally {
      await v2ray.stop();
    }

    const version = execFileSync(V2RAY_BINARY, ['-version'], { encoding: 'utf8' }).split('\n')[0]!;
    const file: CaptureFile = { v2ray: version, uuid: TEST_UUID, clientCaptures, serverCaptures };
    writeFileSync(fileURLToPath(new URL('./captures.json', import.meta.url)), `${JSON.stringify(file, null, 2)}\n`);
  });
});
