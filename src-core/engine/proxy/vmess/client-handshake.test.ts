import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createVmessUser } from './account.js';
import type { ClientSession} from './client-handshake.js';
import { createClientRequest, defaultRequestOptions, type ClientResponseResult } from './client-handshake.js';
import { COMMAND, SECURITY } from './consts.js';
import { ServerSession } from './server-handshake.js';
import { loadCaptures, type ServerCapture } from './testdata/captures.js';

const captures = loadCaptures();
const user = createVmessUser(captures.uuid, { tag: 'capture' });
const legacyUser = createVmessUser(captures.uuid, { alterId: 4, tag: 'capture' });

/** Rebuilds the captured request header from its stored fixed inputs. */
function rebuild(capture: ServerCapture, legacyId = legacyUser.id): ReturnType<typeof createClientRequest> {
  return createClientRequest({
    user: capture.legacyHeader ? legacyUser : user,
    security: capture.security as 3 | 4 | 5,
    command: COMMAND.tcp,
    address: { kind: 'ipv4', value: '127.0.0.1' },
    port: capture.echoPort,
    nowSeconds: capture.now,
    bodyKey: Buffer.from(capture.bodyKey, 'hex'),
    bodyIv: Buffer.from(capture.bodyIv, 'hex'),
    responseAuth: capture.responseAuth,
    paddingLength: capture.paddingLength,
    padding: Buffer.from(capture.padding, 'hex'),
    authId: Buffer.from(capture.authId, 'hex'),
    connectionNonce: Buffer.from(capture.connectionNonce, 'hex'),
    legacyTimestamp: capture.now,
    legacyId,
  });
}

/** Feeds pieces until the parser settles; `done.rest` also gets the pieces not yet pushed. */
function feed(session: ClientSession, pieces: Buffer[]): ClientResponseResult {
  const parser = session.createResponseParser();
  let result: ClientResponseResult = { status: 'need-more' };
  for (const [index, piece] of pieces.entries()) {
    result = parser.push(piece);
    if (result.status === 'done') return { ...result, rest: Buffer.concat([result.rest, ...pieces.slice(index + 1)]) };
    if (result.status === 'fail') return result;
  }
  return result;
}

describe('client request', () => {
  test('default options of a 4.34 client', () => {
    expect([SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none, SECURITY.legacy].map((security) => defaultRequestOptions(security))).toEqual([
      0x0d, 0x0d, 0x05, 0x01,
    ]);
    expect(defaultRequestOptions(SECURITY.none, true)).toBe(0x0d);
  });

  test.each(captures.serverCaptures.map((capture) => [capture.name, capture] as const))('%s: rebuilt byte for byte', (_name, capture) => {
    const captured = Buffer.from(capture.request, 'hex');
    const candidates = capture.legacyHeader ? [legacyUser.id, ...legacyUser.alterIds] : [user.id];
    const matches = candidates.filter((id) => {
      const { headerBytes } = rebuild(capture, id);
      return captured.subarray(0, headerBytes.length).equals(headerBytes);
    });
    expect(matches.length).toBe(1);
  });

  test('Mux needs no target; TCP does', () => {
    const mux = createClientRequest({ user, security: SECURITY.aes128Gcm, command: COMMAND.mux });
    expect(mux.session.header.address).toEqual({ kind: 'domain', value: 'v1.mux.cool' });
    expect(() => createClientRequest({ user, security: SECURITY.aes128Gcm, command: COMMAND.tcp })).toThrow(/target/);
  });
});

describe('client response parser', () => {
  test.each(captures.serverCaptures.map((capture) => [capture.name, capture] as const))('%s: v2ray response, whole and split', (_name, capture) => {
    const { session } = rebuild(capture);
    const response = Buffer.from(capture.response, 'hex');
    const expected = Buffer.from(capture.payload, 'hex').map((byte) => byte ^ 0x5a);
    const check = (result: ClientResponseResult): void => {
      if (result.status !== 'done') throw new Error(result.status);
      const body = Buffer.concat(result.decoder.push(result.rest));
      expect({ header: result.header, body: body.equals(expected), ended: result.decoder.ended }).toEqual({
        header: { responseAuth: capture.responseAuth, options: 0, command: 0, commandData: Buffer.alloc(0) },
        body: true,
        ended: true,
      });
    };
    check(feed(session, [response]));
    for (let cut = 1; cut < 80; cut++) check(feed(session, [response.subarray(0, cut), response.subarray(cut)]));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { maxLength: 12 }), (sizes) => {
        const pieces: Buffer[] = [];
        let at = 0;
        for (const size of sizes) {
          pieces.push(response.subarray(at, at + size));
          at += size;
        }
        pieces.push(response.subarray(at));
        check(feed(session, pieces));
      }),
      { numRuns: 30 },
    );
  });

  const makeSession = (aead: boolean): { client: ClientSession; server: ServerSession } => {
    const { session } = createClientRequest({
      user: aead ? user : legacyUser,
      security: SECURITY.aes128Gcm,
      command: COMMAND.tcp,
      address: { kind: 'domain', value: 'example.com' },
      port: 80,
    });
    return { client: session, server: new ServerSession(session.header, aead) };
  };

  test('tamper: any flipped byte of an AEAD response header fails', () => {
    const { client, server } = makeSession(true);
    const { headerBytes } = server.createResponse();
    for (let i = 0; i < headerBytes.length; i++) {
      const copy = Buffer.from(headerBytes);
      copy[i]! ^= 0x10;
      const result = client.createResponseParser().push(copy);
      expect(result.status, `byte ${i}`).not.toBe('done');
    }
  });

  test('a different V is refused (AEAD and legacy)', () => {
    for (const aead of [true, false]) {
      const { client } = makeSession(aead);
      const wrong = new ServerSession({ ...client.header, responseAuth: (client.header.responseAuth + 1) & 0xff }, aead);
      const result = client.createResponseParser().push(wrong.createResponse().headerBytes);
      expect(result.status === 'fail' && result.error.message).toMatch(/unexpected response header/);
    }
  });

  test('a response command is read and handed over (legacy and AEAD)', () => {
    for (const aead of [true, false]) {
      const { client, server } = makeSession(aead);
      const commandData = randomBytes(20);
      const { headerBytes, encoder } = server.createResponse({ command: 1, commandData });
      const result = client.createResponseParser().push(Buffer.concat([headerBytes, encoder.encode(Buffer.from('x')), encoder.end()]));
      if (result.status !== 'done') throw new Error(result.status);
      expect({ command: result.header.command, data: result.header.commandData.equals(commandData), body: Buffer.concat(result.decoder.push(result.rest)).toString() }).toEqual({
        command: 1,
        data: true,
        body: 'x',
      });
    }
  });

  test('random input never throws (fast-check)', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.uint8Array({ maxLength: 200 }), (aead, bytes) => {
        const result = makeSession(aead).client.createResponseParser().push(Buffer.from(bytes));
        expect(['need-more', 'done', 'fail']).toContain(result.status);
      }),
      { numRuns: 200 },
    );
  });
});
