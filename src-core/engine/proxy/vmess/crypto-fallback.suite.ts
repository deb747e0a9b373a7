/**
 * The engine's VMess crypto with the native chunk cipher off (PORTHOLE_NATIVE_AEAD=0), on plain
 * Node's node:crypto (`openssl`) or on one that lacks what BoringSSL lacks (see
 * test/support/boringssl-crypto.ts), as Electron runs it. Not a test file of its own:
 * no-native-crypto.test.ts, boringssl-crypto.test.ts and electron-crypto.test.ts set the
 * variable, mock node:crypto for a profile (a mock is per file) and then define these tests.
 *
 * What passes here must be byte for byte what OpenSSL produces: the body vectors below were made
 * by the OpenSSL path (native and node:crypto agree), and the v2ray captures that those files
 * replay (client-handshake.test.ts, server-handshake.test.ts) come from the real v2ray 4.34.
 */
import * as nodeCrypto from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { deterministicBytes, sha256, xor5a } from '../../../../test/support/data.js';
import type { CryptoProfile } from '../../../../test/support/boringssl-crypto.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { AesCfbOverEcb, createAesCfb } from '../../common/crypto/aes-cfb.js';
import { ChaCha20Poly1305 } from '../../common/crypto/chacha20-poly1305.js';
import { nodeCryptoSupport } from '../../common/crypto/node-crypto-support.js';
import type { PortholeConfig, VmessSecurity } from '../../config/index.js';
import { nativeAead, nativeAeadStatus } from '../../native/aead.js';
import { createBodyDecoder, createBodyEncoder, type BodyCodecOptions } from './body.js';
import { CHUNK_CIPHER_BACKEND } from './chunk-cipher.js';
import { COMMAND, SECURITY, type BodySecurity } from './consts.js';
import { vmessCryptoNotice } from './crypto-notice.js';

const KEY = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const IV = Buffer.from('f0e1d2c3b4a5968778695a4b3c2d1e0f', 'hex');

/**
 * Body wire bytes (encode(payload) ‖ end()) made on plain Node with OpenSSL, for KEY, IV and
 * payload deterministicBytes(security·100 + options·10 + command, size); options without
 * GlobalPadding, so that nothing random is on the wire. [security, options, command, size, wire length, SHA-256 of the wire]
 */
const OPENSSL_BODY_VECTORS: readonly (readonly [BodySecurity, number, number, number, number, string])[] = [
  [SECURITY.aes128Gcm, 0x05, COMMAND.tcp, 5000, 5072, '69fa5b08bc516b5f67475ed24c23737c5420c0322a46acbb2767cda8d508212f'],
  [SECURITY.aes128Gcm, 0x01, COMMAND.tcp, 5000, 5072, 'ba9879d0279e4a98991aca6c010e2adb1f10f8f434432e30535dddf66fafffce'],
  [SECURITY.chacha20Poly1305, 0x05, COMMAND.tcp, 5000, 5072, 'e218342e376c281338f92d9dd48f0b3a30926a0272e0c2aabd04b915dac40da8'],
  [SECURITY.chacha20Poly1305, 0x01, COMMAND.tcp, 5000, 5072, '0b1394e8ccb27c543b02db71321dd2df0cf6faea8baf6b9c021cd5f42c22f204'],
  [SECURITY.chacha20Poly1305, 0x05, COMMAND.udp, 1000, 1036, '5f03ab8babb655b010d8182024547d313b711aebc0465418a606c87cbc3ed638'],
  [SECURITY.none, 0x05, COMMAND.tcp, 20000, 20008, 'a0b912b89452f3e42ac1784ebd324a72da7a8c36bda46602427ecf94492f08a8'],
  [SECURITY.none, 0x01, COMMAND.tcp, 20000, 20008, '1878207ceb04b42a2eb9d7c31396721f41028d5ad1ce950d970cdaa3a9ed95e0'],
  // none without ChunkStream: raw bytes (what later V2Ray versions call security "zero").
  [SECURITY.none, 0x00, COMMAND.tcp, 5000, 5000, '023dbb8e9b8a801e6152ce2a609ed6d22b775d9c530ee9cd9c5b4e8f042cd43a'],
  // legacy: AES-128-CFB around FNV-authenticated chunks, or around the raw stream.
  [SECURITY.legacy, 0x01, COMMAND.tcp, 5000, 5024, 'c61cd15d2e9968c0eeedbf2223171f54612551e135f82ed4a30fe00d9512c718'],
  [SECURITY.legacy, 0x00, COMMAND.tcp, 5000, 5000, 'b8b763105fcd4bfd4d2c4aa8a60907e266c2eec82e5937d7d082102fd549a402'],
];

const NAMES: Record<BodySecurity, string> = { 1: 'legacy', 3: 'aes-128-gcm', 4: 'chacha20-poly1305', 5: 'none' };

function codec(security: BodySecurity, options: number, command: number, key = KEY, iv = IV): BodyCodecOptions {
  return { security, options, command, key, iv };
}

/** Feeds `wire` to a fresh decoder cut at `cuts`; the joined plaintext. */
function decodeSplit(options: BodyCodecOptions, wire: Buffer, cuts: readonly number[]): Buffer {
  const decoder = createBodyDecoder(options);
  const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const point of [...points, wire.length]) {
    out.push(...decoder.push(wire.subarray(from, point)));
    from = point;
  }
  expect(decoder.ended || (options.options & 0x01) === 0).toBe(true);
  return Buffer.concat(out);
}

/** The doc's reverse pair, both sides Porthole in this process, with the bridge's VMess user changed. */
async function startPairWith(upstreamPort: number, user: { security: VmessSecurity; alterId: number }): Promise<{ publicPort: number; peers: RunningPeer[] }> {
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const ports = { publicPort, linkPort, upstreamPort };
  const portalBase = portalConfig(ports);
  const portal: PortholeConfig = {
    ...portalBase,
    inbounds: portalBase.inbounds.map((inbound) =>
      inbound.protocol === 'vmess' ? { ...inbound, settings: { ...inbound.settings, clients: inbound.settings.clients.map((client) => ({ ...client, alterId: user.alterId })) } } : inbound,
    ),
  };
  const bridgeBase = bridgeConfig(ports);
  const bridge: PortholeConfig = {
    ...bridgeBase,
    outbounds: bridgeBase.outbounds.map((outbound) =>
      outbound.protocol === 'vmess'
        ? { ...outbound, settings: { vnext: outbound.settings.vnext.map((server) => ({ ...server, users: server.users.map((account) => ({ ...account, ...user })) })) } }
        : outbound,
    ),
  };
  const portalPeer = await startPeer('porthole', portal);
  await waitForPort(linkPort);
  const bridgePeer = await startPeer('porthole', bridge);
  await waitForPort(publicPort);
  return { publicPort, peers: [bridgePeer, portalPeer] };
}

const TITLES: Record<CryptoProfile | 'openssl', string> = {
  openssl: "plain Node's node:crypto (OpenSSL)",
  electron: "node:crypto as Electron's (BoringSSL with Electron's patches)",
  boringssl: 'node:crypto as upstream BoringSSL has it',
};

/**
 * Registers the fallback tests, then the codec suites once more on this file's node:crypto
 * (among them the v2ray 4.34 captures, byte for byte). `previousNativeAead` is what the caller's
 * `vi.hoisted` found in PORTHOLE_NATIVE_AEAD before turning the addon off; it is put back after.
 */
export async function runCryptoFallbackTests(profile: CryptoProfile | 'openssl', previousNativeAead: string | undefined): Promise<void> {
  afterAll(() => {
    if (previousNativeAead === undefined) delete process.env.PORTHOLE_NATIVE_AEAD;
    else process.env.PORTHOLE_NATIVE_AEAD = previousNativeAead;
  });
  defineCryptoFallbackTests(profile);
  if (profile === 'openssl') {
    // body.test.ts checks against its own OpenSSL reference decoder: plain Node only.
    await import('./body.test.js');
  } else {
    await import('./account.test.js');
    await import('./codec.test.js');
    await import('./kdf.test.js');
    await import('../../common/crypto/sha256.test.js');
  }
  await import('./client-handshake.test.js');
  await import('./server-handshake.test.js');
  await import('./legacy.test.js');
  await import('./aead.test.js');
  await import('./body-wide.test.js');
  await import('./body-stream-udp.test.js');
}

function defineCryptoFallbackTests(profile: CryptoProfile | 'openssl'): void {
  const cfbFromNode = profile !== 'boringssl';
  const chachaFromNode = profile === 'openssl';

  describe(`${TITLES[profile]}, native AEAD off`, () => {
    test.runIf(profile === 'openssl')('node:crypto has every cipher the engine uses', () => {
      expect(nodeCrypto.getCiphers()).toEqual(expect.arrayContaining(['aes-128-gcm', 'aes-128-ecb', 'aes-128-cfb', 'chacha20-poly1305']));
    });

    test.runIf(profile !== 'openssl')('the shim refuses what this profile lacks, so the tests below cannot pass on OpenSSL by accident', () => {
      const key16 = Buffer.alloc(16);
      expect(() => nodeCrypto.createCipheriv('chacha20-poly1305', Buffer.alloc(32), Buffer.alloc(12), { authTagLength: 16 })).toThrow('Unknown cipher');
      expect(() => nodeCrypto.createHash('shake128')).toThrow('Digest method not supported');
      expect(() => nodeCrypto.createHash('sha3-256')).toThrow('Digest method not supported');
      expect(nodeCrypto.getCiphers()).not.toContain('chacha20-poly1305');
      expect(nodeCrypto.getHashes()).not.toContain('shake128');
      if (cfbFromNode) expect(nodeCrypto.getCiphers()).toContain('aes-128-cfb');
      else expect(() => nodeCrypto.createCipheriv('aes-128-cfb', key16, key16)).toThrow('Unknown cipher');
      // What BoringSSL does have is untouched.
      expect(() => nodeCrypto.createCipheriv('aes-128-gcm', key16, Buffer.alloc(12))).not.toThrow();
      expect(nodeCrypto.createHash('md5').update('').digest('hex')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    });

    test('the engine probed once and chose its fallbacks; the start-up notice says so', () => {
      expect({ native: nativeAead, status: nativeAeadStatus }).toEqual({ native: undefined, status: 'turned off by PORTHOLE_NATIVE_AEAD=0' });
      expect(nodeCryptoSupport).toEqual({
        'aes-128-gcm': true,
        'aes-128-ecb': true,
        'aes-128-cfb': cfbFromNode,
        'chacha20-poly1305': chachaFromNode,
        md5: true,
        sha256: true,
        'hmac-md5': true,
        'hmac-sha256': true,
      });
      expect(CHUNK_CIPHER_BACKEND).toEqual({ 'aes-128-gcm': 'node:crypto', 'chacha20-poly1305': chachaFromNode ? 'node:crypto' : 'javascript' });
      expect(createAesCfb(KEY, IV, 'encrypt') instanceof AesCfbOverEcb).toBe(!cfbFromNode);
      expect(vmessCryptoNotice()).toBe(
        [
          'crypto: native AEAD not in use (turned off by PORTHOLE_NATIVE_AEAD=0), so VMess chunk ciphers use node:crypto instead',
          ...(chachaFromNode ? [] : ["security chacha20-poly1305 runs in JavaScript (this runtime's node:crypto lacks it)"]),
          ...(cfbFromNode ? [] : ["legacy (alterId) AES-128-CFB is built on aes-128-ecb (this runtime's node:crypto lacks aes-128-cfb)"]),
        ].join('; '),
      );
    });

    describe('body codecs: the bytes OpenSSL made, byte for byte', () => {
      test.each(OPENSSL_BODY_VECTORS.map((row) => [NAMES[row[0]], `0x0${row[1]}`, row[2] === COMMAND.udp ? 'udp' : 'tcp', row] as const))(
        '%s, options %s, %s: encodes to the vector and decodes it at every kind of split',
        (_name, _options, _command, [security, options, command, size, wireLength, digest]) => {
          const payload = deterministicBytes(security * 100 + options * 10 + command, size);
          const encoder = createBodyEncoder(codec(security, options, command));
          const wire = Buffer.concat([encoder.encode(payload), encoder.end()]);
          expect({ length: wire.length, sha256: sha256(wire) }).toEqual({ length: wireLength, sha256: digest });
          expect(decodeSplit(codec(security, options, command), wire, []).equals(payload)).toBe(true);
          const everyByte = Array.from({ length: wire.length }, (_, i) => i);
          expect(decodeSplit(codec(security, options, command), wire, everyByte).equals(payload)).toBe(true);
        },
      );
    });

    describe('body codecs: round trips and tampering', () => {
      const cases: readonly (readonly [BodySecurity, number, number])[] = [
        [SECURITY.aes128Gcm, 0x0d, COMMAND.tcp],
        [SECURITY.chacha20Poly1305, 0x0d, COMMAND.tcp],
        [SECURITY.chacha20Poly1305, 0x0d, COMMAND.mux],
        [SECURITY.chacha20Poly1305, 0x0d, COMMAND.udp],
        [SECURITY.none, 0x0d, COMMAND.udp],
        [SECURITY.legacy, 0x01, COMMAND.tcp],
        [SECURITY.legacy, 0x00, COMMAND.tcp],
      ];
      test.each(cases.map((row) => [NAMES[row[0]], row[1], row[2], row] as const))('%s, options %i, command %i: encode → decode at random splits', (_name, _options, _command, [security, options, command]) => {
        fc.assert(
          fc.property(fc.uint8Array({ minLength: 1, maxLength: command === COMMAND.udp ? 1000 : 9000 }), fc.array(fc.nat(20_000), { maxLength: 12 }), (bytes, cuts) => {
            const key = nodeCrypto.randomBytes(16);
            const iv = nodeCrypto.randomBytes(16);
            const payload = Buffer.from(bytes);
            const encoder = createBodyEncoder(codec(security, options, command, key, iv));
            // A stream's data may come in pieces; a datagram is one.
            const input = command === COMMAND.udp ? payload : [payload.subarray(0, payload.length >> 1), payload.subarray(payload.length >> 1)];
            const wire = Buffer.concat([encoder.encode(input), encoder.end()]);
            expect(decodeSplit(codec(security, options, command, key, iv), wire, cuts).equals(payload)).toBe(true);
          }),
          { numRuns: 40 },
        );
      });

      test.each([SECURITY.aes128Gcm, SECURITY.chacha20Poly1305] as const)('security %i: every flipped byte of a sealed chunk is refused', (security) => {
        const payload = deterministicBytes(security, 300);
        const encoder = createBodyEncoder(codec(security, 0x05, COMMAND.tcp));
        const wire = encoder.encode(payload);
        for (let at = 2; at < wire.length; at++) {
          const tampered = Buffer.from(wire);
          tampered[at]! ^= 0x40;
          expect(() => createBodyDecoder(codec(security, 0x05, COMMAND.tcp)).push(tampered), `byte ${at}`).toThrow(expect.objectContaining({ code: 'PH_VMESS_BAD_CHUNK' }));
        }
      });
    });

    describe('Mux over VMess end to end: bridge ↔ portal in this process, XOR echo', () => {
      let upstream: RunningServer;
      beforeAll(async () => {
        upstream = await startXorEcho();
      });
      afterAll(async () => {
        await upstream.close();
        vi.restoreAllMocks();
      });

      test.each([
        ['chacha20-poly1305', 0, 'chacha'],
        ['aes-128-gcm', 4, 'cfb'],
        ['none', 0, 'none'],
      ] as const)('security %s, alterId %i: 4 × 300 KiB each way, every byte intact', async (security, alterId, fallback) => {
        const seal = vi.spyOn(ChaCha20Poly1305.prototype, 'seal');
        const open = vi.spyOn(ChaCha20Poly1305.prototype, 'open');
        const cfb = vi.spyOn(AesCfbOverEcb.prototype, 'update');
        const pair = await startPairWith(upstream.port, { security, alterId });
        try {
          const probe = Buffer.from('probe');
          await waitUntil(async () => {
            try {
              return (await echoThrough(pair.publicPort, probe, { closeAfterEcho: true, timeoutMs: 3000 })).equals(xor5a(probe));
            } catch {
              return false;
            }
          }, 20_000, 'the tunnel to carry a probe');
          const payloads = Array.from({ length: 4 }, (_, i) => deterministicBytes(40 + i, 300 * 1024));
          const echoed = await Promise.all(payloads.map((payload) => echoThrough(pair.publicPort, payload, { closeAfterEcho: true, timeoutMs: 30_000 })));
          expect(echoed.map((data) => sha256(data))).toEqual(payloads.map((payload) => sha256(xor5a(payload))));
          // The fallbacks carried it where they stand in, and only there (the spies call through).
          expect({ chacha: seal.mock.calls.length > 0 && open.mock.calls.length > 0, cfb: cfb.mock.calls.length > 0 }).toEqual({
            chacha: fallback === 'chacha' && !chachaFromNode,
            cfb: fallback === 'cfb' && !cfbFromNode,
          });
        } finally {
          for (const peer of pair.peers) await peer.stop();
          seal.mockRestore();
          open.mockRestore();
          cfb.mockRestore();
        }
      }, 60_000);
    });
  });
}
