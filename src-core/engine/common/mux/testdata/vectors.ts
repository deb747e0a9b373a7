/**
 * Hand-transcribed Mux.Cool vectors and fast-check generators shared by the mux tests.
 * Sources: shared/docs/v2ray-wire-protocol.md §4.2, §5.2, §5.3; v4.34.0 `common/mux/mux_test.go`
 * (`TestReaderWriter`) and `frame_test.go`.
 */

import fc from 'fast-check';
import { AddressType, type MuxAddress, formatIPv6 } from '../address.js';
import { type FrameMetadata, type MuxFrame, type MuxTarget, FrameOption, FrameStatus, TargetNetwork } from '../frame.js';

/** Hex with spaces and "quoted ASCII" parts, as the wire doc writes frames. */
export function wire(text: string): Buffer {
  const parts = text.match(/"[^"]*"|[0-9a-fA-F]+/g) ?? [];
  return Buffer.concat(parts.map((part) => (part.startsWith('"') ? Buffer.from(part.slice(1, -1), 'latin1') : Buffer.from(part, 'hex'))));
}

const tcp = (address: MuxAddress, port: number): MuxTarget => ({ network: TargetNetwork.TCP, address, port });

/**
 * `TestReaderWriter`: writer 1 → tcp:v2ray.com:80, writer 2 → tcp:127.0.0.1:443, writer 3 →
 * tcp:[::1]:18374; writes "abcd" (1), empty (2), "efgh" (1), "x" (3), Close 1, Close 3, "y" (2),
 * Close 2. The expected bytes follow from `FrameMetadata.WriteTo` and `writeMetaWithFrame`.
 */
export const GO_MUX_TEST: { readonly stream: Buffer; readonly frames: readonly MuxFrame[] } = {
  stream: wire(`
    0012 0001 01 01 01 0050 02 09 "v2ray.com" 0004 "abcd"
    000c 0002 01 00 01 01bb 01 7f000001
    0004 0001 02 01 0004 "efgh"
    0018 0003 01 01 01 47c6 03 00000000000000000000000000000001 0001 "x"
    0004 0001 03 00
    0004 0003 03 00
    0004 0002 02 01 0001 "y"
    0004 0002 03 00`),
  frames: [
    { meta: { sessionId: 1, status: FrameStatus.New, option: FrameOption.Data, target: tcp({ type: AddressType.Domain, host: 'v2ray.com' }, 80) }, data: Buffer.from('abcd') },
    { meta: { sessionId: 2, status: FrameStatus.New, option: 0, target: tcp({ type: AddressType.IPv4, host: '127.0.0.1' }, 443) } },
    { meta: { sessionId: 1, status: FrameStatus.Keep, option: FrameOption.Data }, data: Buffer.from('efgh') },
    { meta: { sessionId: 3, status: FrameStatus.New, option: FrameOption.Data, target: tcp({ type: AddressType.IPv6, host: '::1' }, 18374) }, data: Buffer.from('x') },
    { meta: { sessionId: 1, status: FrameStatus.End, option: 0 } },
    { meta: { sessionId: 3, status: FrameStatus.End, option: 0 } },
    { meta: { sessionId: 2, status: FrameStatus.Keep, option: FrameOption.Data }, data: Buffer.from('y') },
    { meta: { sessionId: 2, status: FrameStatus.End, option: 0 } },
  ],
};

/** `BenchmarkFrameWrite`: New, session 1, tcp:www.v2ray.com:80, no data. */
export const GO_FRAME_TEST: { readonly bytes: Buffer; readonly meta: FrameMetadata } = {
  bytes: wire('0016 0001 01 00 01 0050 02 0d "www.v2ray.com"'),
  meta: { sessionId: 1, status: FrameStatus.New, option: 0, target: tcp({ type: AddressType.Domain, host: 'www.v2ray.com' }, 80) },
};

const DOMAIN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._';

/** Addresses that decode to themselves: letter-first domains, IPv4, IPv6 that is not IPv4-mapped. */
export const arbitraryAddress: fc.Arbitrary<MuxAddress> = fc.oneof(
  fc.tuple(fc.integer({ min: 0, max: 51 }), fc.array(fc.integer({ min: 0, max: DOMAIN_CHARS.length - 1 }), { maxLength: 254 })).map(
    ([first, rest]): MuxAddress => ({ type: AddressType.Domain, host: [first, ...rest].map((i) => DOMAIN_CHARS[i]).join('') }),
  ),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((ip): MuxAddress => ({ type: AddressType.IPv4, host: ip.join('.') })),
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .filter((ip) => !(ip.subarray(0, 10).every((b) => b === 0) && ip[10] === 0xff && ip[11] === 0xff))
    .map((ip): MuxAddress => ({ type: AddressType.IPv6, host: formatIPv6(ip) })),
);

export const arbitraryTarget: fc.Arbitrary<MuxTarget> = fc.record({
  network: fc.constantFrom(TargetNetwork.TCP, TargetNetwork.UDP),
  address: arbitraryAddress,
  port: fc.integer({ min: 0, max: 0xffff }),
});

/** Any frame the reader accepts by default (UDP New data ≤ 2048), with the Data bit matching `data`. */
export const arbitraryFrame: fc.Arbitrary<MuxFrame> = fc
  .tuple(
    fc.integer({ min: 0, max: 0xffff }),
    fc.constantFrom(FrameStatus.New, FrameStatus.Keep, FrameStatus.End, FrameStatus.KeepAlive),
    fc.integer({ min: 0, max: 0xff }),
    arbitraryTarget,
    fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined }),
  )
  .map(([sessionId, status, rawOption, target, data]): MuxFrame => {
    const option = data === undefined ? rawOption & ~FrameOption.Data : rawOption | FrameOption.Data;
    const meta: FrameMetadata =
      status === FrameStatus.New ? { sessionId, status, option, target } : { sessionId, status, option };
    return data === undefined ? { meta } : { meta, data: Buffer.from(data) };
  });
