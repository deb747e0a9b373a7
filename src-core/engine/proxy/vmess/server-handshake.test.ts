import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { hasErrorCode } from '../../common/errors.js';
import { createVmessUser, type VmessUser } from './account.js';
import { createClientRequest, type ClientRequestOptions } from './client-handshake.js';
import { COMMAND, DRAIN_BASE_RANGE, DRAIN_FIXED, DRAIN_RANDOM_MAX_RANGE, SECURITY, type BodySecurity } from './consts.js';
import { LegacyUserValidator } from './legacy.js';
import { AuthIdReplayFilter, SessionHistory } from './replay.js';
import { computeDrainPolicy, createServerHandshakeContext, ServerHandshake, type ServerHandshakeContext, type ServerHandshakeResult } from './server-handshake.js';
import { loadCaptures } from './testdata/captures.js';

const NOW = 1_800_000_000;
const captures = loadCaptures();

function makeUsers(alterId = 0): VmessUser<string>[] {
  return [
    createVmessUser('11111111-2222-3333-4444-555555555555', { tag: 'first' }),
    createVmessUser(captures.uuid, { alterId, tag: 'capture' }),
    createVmessUser('66666666-7777-8888-9999-000000000000', { alterId: 2, tag: 'third' }),
  ];
}

/** A fresh inbound context; pass a legacy validator to share its (costly) hash table between contexts. */
function context(users = makeUsers(), legacy: LegacyUserValidator<string> | false = new LegacyUserValidator(users)): ServerHandshakeContext<string> {
  return createServerHandshakeContext({
    users,
    replayFilter: new AuthIdReplayFilter(),
    sessionHistory: new SessionHistory(),
    ...(legacy ? { legacy } : {}),
  });
}

/**
 * Pushes `pieces` in order until the handshake settles; a `done` result's `rest` then also holds
 * the pieces that were not pushed (so the body can be checked as a whole).
 */
function feed<T>(handshake: ServerHandshake<T>, pieces: Buffer[], now: number): ServerHandshakeResult<T> {
  let result: ServerHandshakeResult<T> = { status: 'need-more' };
  for (const [index, piece] of pieces.entries()) {
    result = handshake.push(piece, now);
    if (result.status === 'done') return { ...result, rest: Buffer.concat([result.rest, ...pieces.slice(index + 1)]) };
    if (result.status === 'fail') return result;
  }
  return result;
}

function request(user: VmessUser<string>, overrides: Partial<ClientRequestOptions> = {}): ReturnType<typeof createClientRequest> {
  return createClientRequest({
    user,
    security: SECURITY.aes128Gcm,
    command: COMMAND.tcp,
    address: { kind: 'domain', value: 'example.com' },
    port: 443,
    nowSeconds: NOW,
    ...overrides,
  });
}

describe('server handshake round trip', () => {
  const securities: BodySecurity[] = [SECURITY.aes128Gcm, SECURITY.chacha20Poly1305, SECURITY.none, SECURITY.legacy];
  const targets = [
    { command: COMMAND.tcp, address: { kind: 'ipv4', value: '10.1.2.3' }, port: 80 },
    { command: COMMAND.udp, address: { kind: 'ipv6', value: '2001:db8::53' }, port: 53 },
    { command: COMMAND.tcp, address: { kind: 'domain', value: 'reverse.internal.v2ray.com' }, port: 0 },
    { command: COMMAND.mux, address: { kind: 'domain', value: 'v1.mux.cool' }, port: 0 },
  ] as const;

  test.each(securities.flatMap((security) => [false, true].map((legacyHeader) => ({ security, legacyHeader }))))(
    'security $security, legacy header $legacyHeader: header, body and response both ways',
    ({ security, legacyHeader }) => {
      const users = makeUsers(4);
      const ctx = context(users);
      for (const target of targets) {
        const client = request(users[1]!, { security, legacyHeader, ...target });
        const requestEncoder = client.session.createRequestBodyEncoder();
        const upload = randomBytes(target.command === COMMAND.udp ? 1000 : 3000);
        const bytes = Buffer.concat([client.headerBytes, requestEncoder.encode(upload), requestEncoder.end()]);
        const result = new ServerHandshake(ctx).push(bytes, NOW);
        if (result.status !== 'done') throw new Error(`${result.status}: ${result.status === 'fail' ? result.error.message : ''}`);
        expect({ tag: result.user.tag, header: result.header, aead: result.session.aead, consumed: result.bytesConsumed }).toEqual({
          tag: 'capture',
          header: client.session.header,
          aead: !legacyHeader,
          consumed: client.headerBytes.length,
        });
        const decoder = result.session.createRequestBodyDecoder();
        expect(Buffer.concat(decoder.push(result.rest)).equals(upload) && decoder.ended).toBe(true);

        const download = randomBytes(target.command === COMMAND.udp ? 900 : 2500);
        const { headerBytes, encoder } = result.session.createResponse();
        const parsed = client.session.createResponseParser().push(Buffer.concat([headerBytes, encoder.encode(download), encoder.end()]));
        if (parsed.status !== 'done') throw new Error(parsed.status);
        expect(Buffer.concat(parsed.decoder.push(parsed.rest)).equals(download) && parsed.decoder.ended).toBe(true);
      }
    },
  );

  test('several users: the matching one is reported', () => {
    const users = makeUsers();
    for (const user of users) {
      const result = new ServerHandshake(context(users)).push(request(user).headerBytes, NOW);
      expect(result.status === 'done' && result.user.tag).toBe(user.tag);
    }
  });
});

describe('server handshake against v2ray captures', () => {
  test.each(captures.clientCaptures.map((capture) => [capture.name, capture] as const))('%s', (_name, capture) => {
    const bytes = Buffer.from(capture.request, 'hex');
    const check = (result: ServerHandshakeResult<string>): void => {
      if (result.status !== 'done') throw new Error(`${result.status}: ${result.status === 'fail' ? result.error.message : ''}`);
      const decoder = result.session.createRequestBodyDecoder();
      const body = Buffer.concat(decoder.push(result.rest));
      expect({
        tag: result.user.tag,
        aead: result.session.aead,
        security: result.header.security,
        options: result.header.options,
        command: result.header.command,
        target: [result.header.address, result.header.port],
        body: body.toString('hex') === capture.payload,
        ended: decoder.ended,
      }).toEqual({
        tag: 'capture',
        aead: capture.alterId === 0,
        security: capture.security,
        options: capture.security === SECURITY.none ? 0x05 : 0x0d,
        command: COMMAND.tcp,
        target: [{ kind: 'ipv4', value: capture.target.address }, capture.target.port],
        body: true,
        ended: true,
      });
    };
    const users = makeUsers(capture.alterId);
    const legacy = new LegacyUserValidator(users);
    check(new ServerHandshake(context(users, legacy)).push(bytes, capture.now));
    // Split at every boundary inside the header (and a little beyond), with fresh replay state.
    for (let cut = 1; cut < 400; cut++) {
      check(feed(new ServerHandshake(context(users, legacy)), [bytes.subarray(0, cut), bytes.subarray(cut)], capture.now));
    }
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { maxLength: 20 }), (sizes) => {
        const pieces: Buffer[] = [];
        let at = 0;
        for (const size of sizes) {
          pieces.push(bytes.subarray(at, at + size));
          at += size;
        }
        pieces.push(bytes.subarray(at));
        check(feed(new ServerHandshake(context(users, legacy)), pieces, capture.now));
      }),
      { numRuns: 30 },
    );
    // The AuthID / user hash embeds the capture time (legacy: ±30 s jitter): later nobody matches.
    const late = new ServerHandshake(context(users, legacy)).push(bytes, capture.now + 160);
    expect(late.status === 'fail' && late.error.code).toBe('PH_VMESS_AUTH_FAILED');
  });
});

describe('server handshake tamper and replay', () => {
  test('AEAD: flipping any header byte fails, with a drain, and never throws', () => {
    const users = makeUsers();
    const { headerBytes } = request(users[1]!);
    const codes = new Map<string, number>();
    for (let i = 0; i < headerBytes.length; i++) {
      const copy = Buffer.from(headerBytes);
      copy[i]! ^= 0x04;
      const result = new ServerHandshake(context(users)).push(copy, NOW);
      if (result.status !== 'fail') throw new Error(`byte ${i}: ${result.status}`);
      expect(result.drain, `byte ${i}`).toBe(true);
      const region = i < 16 ? 'authId' : i < 34 ? 'encLen' : i < 42 ? 'nonce' : 'encHeader';
      codes.set(`${region}:${result.error.code}`, (codes.get(`${region}:${result.error.code}`) ?? 0) + 1);
    }
    expect([...codes.keys()].sort()).toEqual([
      'authId:PH_VMESS_AUTH_FAILED',
      'encHeader:PH_VMESS_AUTH_FAILED',
      'encLen:PH_VMESS_AUTH_FAILED',
      'nonce:PH_VMESS_AUTH_FAILED',
    ]);
  });

  test('legacy: flipping any header byte never yields a header', () => {
    const users = makeUsers(4);
    const { headerBytes } = request(users[1]!, { legacyHeader: true });
    for (let i = 0; i < headerBytes.length; i++) {
      const copy = Buffer.from(headerBytes);
      copy[i]! ^= 0x04;
      const result = new ServerHandshake(context(users)).push(copy, NOW);
      expect(result.status, `byte ${i}`).not.toBe('done');
    }
  });

  test('replaying an AEAD request: PH_VMESS_REPLAY with a drain', () => {
    const ctx = context();
    const { headerBytes } = request(ctx.users[1]!);
    const first = new ServerHandshake(ctx).push(headerBytes, NOW);
    const second = new ServerHandshake(ctx).push(headerBytes, NOW + 5);
    expect([first.status, second.status === 'fail' && second.error.code, second.status === 'fail' && second.drain]).toEqual([
      'done',
      'PH_VMESS_REPLAY',
      true,
    ]);
  });

  test('same body key and IV under a new AuthID: duplicate session, closed without drain', () => {
    const ctx = context();
    const fixed = { bodyKey: randomBytes(16), bodyIv: randomBytes(16) };
    const first = new ServerHandshake(ctx).push(request(ctx.users[1]!, fixed).headerBytes, NOW);
    const second = new ServerHandshake(ctx).push(request(ctx.users[1]!, fixed).headerBytes, NOW);
    expect([first.status, second.status === 'fail' && second.error.code, second.status === 'fail' && second.drain]).toEqual([
      'done',
      'PH_VMESS_REPLAY',
      false,
    ]);
  });

  test('replaying a legacy request: duplicate session taints the user hash', () => {
    const users = makeUsers(2);
    const ctx = context(users);
    const { headerBytes } = request(users[1]!, { legacyHeader: true, legacyTimestamp: NOW - 3 });
    const results = [0, 1, 2].map(() => new ServerHandshake(ctx).push(headerBytes, NOW));
    expect(results.map((result) => (result.status === 'fail' ? `${result.error.code}:${result.drain}` : result.status))).toEqual([
      'done',
      'PH_VMESS_REPLAY:true',
      'PH_VMESS_AUTH_FAILED:true',
    ]);
  });

  test('unknown user and AEAD-only inbounds', () => {
    const stranger = createVmessUser('99999999-9999-9999-9999-999999999999', { alterId: 1, tag: 'x' });
    const unknown = new ServerHandshake(context()).push(request(stranger).headerBytes, NOW);
    const users = makeUsers(1);
    const legacyRefused = new ServerHandshake(context(users, false)).push(request(users[1]!, { legacyHeader: true }).headerBytes, NOW);
    expect([unknown, legacyRefused].map((result) => result.status === 'fail' && `${result.error.code}:${result.drain}`)).toEqual([
      'PH_VMESS_AUTH_FAILED:true',
      'PH_VMESS_AUTH_FAILED:true',
    ]);
  });

  test('header checks after opening: padding without masking, insecure encryption', () => {
    const ctx = context();
    const badOptions = new ServerHandshake(ctx).push(request(ctx.users[1]!, { options: 0x09 }).headerBytes, NOW);
    const strict = { ...context(), disableInsecureEncryption: true };
    const insecure = new ServerHandshake(strict).push(request(strict.users[1]!, { security: SECURITY.none }).headerBytes, NOW);
    expect([badOptions, insecure].map((result) => result.status === 'fail' && `${result.error.code}:${result.drain}`)).toEqual([
      'PH_VMESS_BAD_HEADER:false',
      'PH_VMESS_BAD_HEADER:false',
    ]);
  });

  test('random and mutated input never throws: results are need-more or PortholeError failures (fast-check)', () => {
    const users = makeUsers(2);
    const legacy = new LegacyUserValidator(users);
    const seeds = [request(users[1]!).headerBytes, request(users[1]!, { legacyHeader: true }).headerBytes, ...captures.clientCaptures.map((c) => Buffer.from(c.request, 'hex').subarray(0, 300))];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
          fc
            .tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }))
            .map(([seed, flips]) => {
              const copy = Buffer.from(seed);
              for (const [at, mask] of flips) copy[at % copy.length]! ^= mask;
              return copy;
            }),
        ),
        fc.array(fc.integer({ min: 1, max: 100 }), { maxLength: 6 }),
        (bytes, sizes) => {
          const handshake = new ServerHandshake(context(users, legacy));
          let at = 0;
          for (const size of [...sizes, bytes.length]) {
            const result = handshake.push(bytes.subarray(at, at + size), NOW);
            at += size;
            if (result.status === 'fail') {
              expect(hasErrorCode(result.error, result.error.code) && result.error.code.startsWith('PH_VMESS_')).toBe(true);
              return;
            }
            if (result.status === 'done') return;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('drain sizing', () => {
  test('54 + base + random(max), with per-inbound base and max from the users', () => {
    const users = makeUsers();
    const policy = computeDrainPolicy(123n);
    expect(policy).toEqual(computeDrainPolicy(123n));
    expect(policy.base).toBeLessThan(DRAIN_BASE_RANGE);
    expect(policy.randomMax).toBeGreaterThanOrEqual(1);
    expect(policy.randomMax).toBeLessThanOrEqual(DRAIN_RANDOM_MAX_RANGE);
    const ctx = context(users);
    const totals = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const result = new ServerHandshake(ctx).push(randomBytes(16), NOW);
      if (result.status !== 'fail') throw new Error(result.status);
      totals.add(result.drainTotal);
    }
    const min = Math.min(...totals);
    expect(min).toBeGreaterThanOrEqual(DRAIN_FIXED + ctx.drain!.base);
    expect(Math.max(...totals)).toBeLessThan(DRAIN_FIXED + ctx.drain!.base + ctx.drain!.randomMax);
  });
});
