import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortholeError } from '../../common/errors.js';
import { ControlState, decodeControl, encodeControl } from '../reverse/control.js';
import {
  decodeBridgeExposureMessage, decodeExposeRequest, decodeExposureReply, encodeBridgeExposureMessage, encodeExposeRequest,
  encodeExposureReply, type ExposeRequest, type ExposureReply,
} from './exposure-wire.js';
import { bytesField, varintField } from '../reverse/protowire.js';

const request: ExposeRequest = { id: 'e-0123abcd', localHost: '127.0.0.1', localPort: 80, publicPort: 0, name: 'web' };
const reply: ExposureReply = { id: 'e-0123abcd', publicPort: 20001, publicHost: 'vps.example.com' };
const refusal: ExposureReply = { id: 'e-0123abcd', publicPort: 0, errorCode: 'PH_EXPOSE_OUT_OF_RANGE', error: 'public port 80 is outside the range this portal allows (20000-20099)' };

const clean = (value: string) => [...value].every((char) => char.charCodeAt(0) >= 0x20 && char !== '\u007f' && char !== '\uFFFD');
const text = fc.string({ minLength: 1, maxLength: 40 }).filter((value) => clean(value) && Buffer.byteLength(value) <= 255);
const port = fc.integer({ min: 1, max: 65535 });
const requests = fc.record({ id: text, localHost: text, localPort: port, publicPort: fc.oneof(fc.constant(0), port), name: fc.oneof(fc.constant(''), text) });

describe('exposure wire messages', () => {
  it('round-trip requests, replies and refusals', () => {
    expect(decodeExposeRequest(encodeExposeRequest(request))).toEqual(request);
    expect(decodeExposureReply(encodeExposureReply(reply))).toEqual(reply);
    expect(decodeExposureReply(encodeExposureReply(refusal))).toEqual(refusal);
    fc.assert(fc.property(fc.array(requests, { maxLength: 5 }), fc.array(text, { maxLength: 5 }), (expose, unexpose) => {
      expect(decodeBridgeExposureMessage(encodeBridgeExposureMessage({ expose, unexpose }))).toEqual({ expose, unexpose });
    }));
  });

  it('round-trip the edge fields: label, custom domain, PROXY protocol, basic auth, allowlist, urls', () => {
    const named: ExposeRequest = {
      ...request, label: 'app', customDomain: 'shop.example.com', proxyProtocol: 2,
      basicAuth: { user: 'ann', password: 'p:a:ss' }, allow: ['10.0.0.0/8', '2001:db8::/32'],
    };
    expect(decodeExposeRequest(encodeExposeRequest(named))).toEqual(named);
    const withUrls: ExposureReply = { ...reply, urls: ['https://app.tunnel.example.com', 'http://app.tunnel.example.com'] };
    expect(decodeExposureReply(encodeExposureReply(withUrls))).toEqual(withUrls);
  });

  it('refuses edge fields that make no sense', () => {
    const base = encodeExposeRequest(request);
    expect(() => decodeExposeRequest(Buffer.concat([base, varintField(8, 3)]))).toThrow(/PROXY protocol version 3/);
    expect(() => decodeExposeRequest(Buffer.concat([base, bytesField(9, 'no-colon')]))).toThrow(/user:password/);
    const many = Array.from({ length: 65 }, () => bytesField(10, '10.0.0.0/8'));
    expect(() => decodeExposeRequest(Buffer.concat([base, ...many]))).toThrow(/65 allowed ranges/);
  });

  it('two messages read together decode as their union (nothing lost when frames coalesce)', () => {
    const first = encodeBridgeExposureMessage({ expose: [request], unexpose: [] });
    const second = encodeBridgeExposureMessage({ expose: [{ ...request, id: 'e-00000002' }], unexpose: ['e-00000003'] });
    expect(decodeBridgeExposureMessage(Buffer.concat([first, second]))).toEqual({
      expose: [request, { ...request, id: 'e-00000002' }], unexpose: ['e-00000003'],
    });
  });

  it('rides in a Control message that still reads as the plain heartbeat 4.34 expects', () => {
    const padding = Buffer.from([1, 2, 3]);
    const message = encodeControl(ControlState.Active, padding, { exposureOffer: true, exposureReplies: [encodeExposureReply(reply), encodeExposureReply(refusal)] });
    const decoded = decodeControl(message);
    expect(decoded.state).toBe(ControlState.Active);
    expect(decoded.random).toEqual(padding);
    expect(decoded.exposureOffer).toBe(true);
    expect(decoded.exposureReplies?.map(decodeExposureReply)).toEqual([reply, refusal]);
    // Without the extension, nothing extra is encoded.
    expect(encodeControl(ControlState.Active, padding)).toEqual(Buffer.from([0x9a, 0x06, 3, 1, 2, 3]));
  });

  it('rejects malformed messages with PH_MUX_BAD_FRAME, and nothing else', () => {
    const bad = (bytes: Buffer) => () => decodeBridgeExposureMessage(bytes);
    const wrapped = (inner: Buffer) => bytesField(1010, inner);
    expect(bad(wrapped(encodeExposeRequest({ ...request, id: '' })))).toThrow(/without an id/);
    expect(bad(wrapped(Buffer.concat([encodeExposeRequest(request), varintField(3, 70000)])))).toThrow(/local port 70000/);
    expect(bad(wrapped(Buffer.concat([encodeExposeRequest(request), bytesField(5, Buffer.from([0xff, 0xfe]))])))).toThrow(/clean UTF-8/);
    expect(bad(wrapped(Buffer.concat([encodeExposeRequest(request), bytesField(5, 'x'.repeat(300))])))).toThrow(/at most 255/);
    expect(bad(wrapped(Buffer.concat([encodeExposeRequest(request), bytesField(2, 'host\nwith newline')])))).toThrow(/clean UTF-8/);
    expect(bad(Buffer.from([0x92, 0x3f, 0x20]))).toThrow(/length past the end/);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      try {
        decodeBridgeExposureMessage(Buffer.from(bytes));
        decodeExposureReply(Buffer.from(bytes));
      } catch (error) {
        expect(error).toBeInstanceOf(PortholeError);
        expect((error as PortholeError).code).toBe('PH_MUX_BAD_FRAME');
      }
    }), { numRuns: 2000 });
  });

  it('skips unknown fields, as protobuf does (room for later versions)', () => {
    const withExtra = Buffer.concat([encodeExposeRequest(request), varintField(99, 7), bytesField(98, 'later')]);
    expect(decodeExposeRequest(withExtra)).toEqual(request);
  });
});
