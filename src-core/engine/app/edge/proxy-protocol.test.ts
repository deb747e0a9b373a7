/**
 * PROXY protocol headers, read back by an independent parser (`proxy-protocol-js`) and checked
 * against the spec's byte layout; IPv6 addresses compared in WHATWG URL's canonical form.
 */
import fc from 'fast-check';
import { ProxyProtocolIdentifier, ProxyProtocolVersion, V1ProxyProtocol, V2ProxyProtocol } from 'proxy-protocol-js';
import { describe, expect, it } from 'vitest';
import { encodeProxyHeader, encodeProxyV1, encodeProxyV2, PROXY_V2_SIGNATURE } from './proxy-protocol.js';

function canonicalIpv6(address: string): string {
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

function ipv6FromBytes(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalIpv6(groups.join(':'));
}

function v2(header: Buffer) {
  return V2ProxyProtocol.parse(new Uint8Array(header));
}

describe('PROXY protocol v1', () => {
  it('TCP4: the spec line, read back by proxy-protocol-js', () => {
    const header = encodeProxyV1({ source: { address: '192.0.2.10', port: 51234 }, destination: { address: '198.51.100.1', port: 443 } });
    expect(header.toString('latin1')).toBe('PROXY TCP4 192.0.2.10 198.51.100.1 51234 443\r\n');
    expect(ProxyProtocolIdentifier.identify(header.toString('latin1'))).toBe(ProxyProtocolVersion.V1);
    const parsed = V1ProxyProtocol.parse(header.toString('latin1'));
    expect({ protocol: parsed.inetProtocol, source: { ...parsed.source }, destination: { ...parsed.destination }, data: parsed.data }).toEqual({
      protocol: 'TCP4', source: { ipAddress: '192.0.2.10', port: 51234 }, destination: { ipAddress: '198.51.100.1', port: 443 }, data: '',
    });
  });

  it('TCP6, an IPv4-mapped visitor as plain IPv4, and a mixed pair as TCP6 with the IPv4 side mapped', () => {
    expect(encodeProxyV1({ source: { address: '2001:db8::7', port: 1 }, destination: { address: '2001:db8::1', port: 2 } }).toString())
      .toBe('PROXY TCP6 2001:db8::7 2001:db8::1 1 2\r\n');
    expect(encodeProxyV1({ source: { address: '::ffff:192.0.2.1', port: 1 }, destination: { address: '192.0.2.2', port: 2 } }).toString())
      .toBe('PROXY TCP4 192.0.2.1 192.0.2.2 1 2\r\n');
    const mixed = V1ProxyProtocol.parse(encodeProxyV1({ source: { address: '192.0.2.1', port: 1 }, destination: { address: '2001:db8::1', port: 2 } }).toString());
    expect([mixed.inetProtocol, mixed.source.ipAddress, mixed.destination.ipAddress]).toEqual(['TCP6', '::ffff:192.0.2.1', '2001:db8::1']);
  });

  it('UNKNOWN for a visitor that is not an IP peer (the spec form: nothing after UNKNOWN)', () => {
    // proxy-protocol-js only parses UNKNOWN with addresses after it; HAProxy sends this form.
    expect(encodeProxyV1({ source: { address: 'unix:/tmp/socket', port: 0 }, destination: { address: '192.0.2.2', port: 80 } }).toString())
      .toBe('PROXY UNKNOWN\r\n');
    expect(encodeProxyV1({ source: { address: '192.0.2.1', port: 70000 }, destination: { address: '192.0.2.2', port: 80 } }).toString())
      .toBe('PROXY UNKNOWN\r\n');
  });

  it('never longer than the spec\'s 107 bytes', () => {
    const longest = encodeProxyV1({
      source: { address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 },
      destination: { address: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', port: 65535 },
    });
    expect(longest.length).toBe(104);
  });
});

describe('PROXY protocol v2', () => {
  it('TCP4: the spec bytes, read back by proxy-protocol-js', () => {
    const header = encodeProxyV2({ source: { address: '192.0.2.10', port: 51234 }, destination: { address: '198.51.100.1', port: 443 } });
    expect(header.toString('hex')).toBe(`${PROXY_V2_SIGNATURE.toString('hex')}2111000c` + 'c000020a' + 'c6336401' + 'c822' + '01bb');
    expect(ProxyProtocolIdentifier.identify(new Uint8Array(header))).toBe(ProxyProtocolVersion.V2);
    const parsed = v2(header);
    expect({ command: parsed.command, transport: parsed.transportProtocol, family: parsed.addressFamilyType, address: JSON.parse(JSON.stringify(parsed.proxyAddress)) as unknown }).toEqual({
      command: 1, transport: 1, family: 0x10,
      address: { sourceAddress: { address: [192, 0, 2, 10] }, sourcePort: 51234, destinationAddress: { address: [198, 51, 100, 1] }, destinationPort: 443 },
    });
  });

  it('UNSPEC for a non-IP visitor: no address block', () => {
    const header = encodeProxyV2({ source: { address: 'pipe', port: 0 }, destination: { address: '192.0.2.2', port: 80 } });
    expect(header.toString('hex')).toBe(`${PROXY_V2_SIGNATURE.toString('hex')}21000000`);
    expect(v2(header).addressFamilyType).toBe(0);
  });

  it('TCP6 for any pair of IPv6 addresses (compressed, dotted tails, zones)', () => {
    fc.assert(fc.property(fc.ipV6(), fc.ipV6(), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (source, destination, sourcePort, destinationPort) => {
      const header = encodeProxyHeader(2, { source: { address: source, port: sourcePort }, destination: { address: `${destination}%eth0`, port: destinationPort } });
      // An IPv4-mapped side becomes IPv4 and is mapped back (TCP6 needs both sides IPv6): the same bytes.
      const parsed = v2(header);
      const address = parsed.proxyAddress as unknown as { sourceAddress: { address: number[] }; destinationAddress: { address: number[] }; sourcePort: number; destinationPort: number };
      const mapped = (address: string) => /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address);
      fc.pre(!(mapped(source) && mapped(destination))); // both IPv4 underneath: TCP4, tested below
      expect([ipv6FromBytes(address.sourceAddress.address), ipv6FromBytes(address.destinationAddress.address), address.sourcePort, address.destinationPort])
        .toEqual([canonicalIpv6(source), canonicalIpv6(destination), sourcePort, destinationPort]);
      expect(header.length).toBe(16 + 36);
    }), { numRuns: 300 });
  });

  it('TCP4 for any pair of IPv4 addresses, v1 and v2 agreeing', () => {
    fc.assert(fc.property(fc.ipV4(), fc.ipV4(), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 }), (source, destination, sourcePort, destinationPort) => {
      const connection = { source: { address: source, port: sourcePort }, destination: { address: destination, port: destinationPort } };
      const one = V1ProxyProtocol.parse(encodeProxyHeader(1, connection).toString());
      const two = v2(encodeProxyHeader(2, connection)).proxyAddress as unknown as { sourceAddress: { address: number[] }; destinationAddress: { address: number[] } };
      expect([one.source.ipAddress, one.destination.ipAddress]).toEqual([source, destination]);
      expect([two.sourceAddress.address.join('.'), two.destinationAddress.address.join('.')]).toEqual([source, destination]);
    }), { numRuns: 300 });
  });
});
