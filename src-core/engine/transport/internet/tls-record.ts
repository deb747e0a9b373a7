/**
 * How a TLS record begins: a content type byte, then the protocol version, whose major byte is 3
 * from SSL 3.0 to TLS 1.3. Used to name a peer that speaks TLS where it should not, or does not
 * where it should.
 */
export const TlsContentType = { Alert: 0x15, Handshake: 0x16 } as const;

/** Whether `bytes` open a TLS record of one of `types`. */
export function opensTlsRecord(bytes: Uint8Array, types: readonly number[] = [TlsContentType.Alert, TlsContentType.Handshake]): boolean {
  return bytes.length >= 2 && types.includes(bytes[0]!) && bytes[1] === 0x03;
}
