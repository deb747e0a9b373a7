/**
 * The keys and framing of one VMess connection, both directions, as its request header defines
 * them (wire doc §3.1): the request body uses the header's key and IV; the response header and
 * body use SHA-256 (AEAD) or MD5 (legacy) of them. Client and server sessions share this.
 */
import { deriveResponseKeyIv } from './aead.js';
import type { BodyCodecOptions } from './body.js';
import type { RequestHeader } from './codec.js';
import type { BodySecurity } from './consts.js';

export class SessionKeys {
  readonly responseKey: Buffer;
  readonly responseIv: Buffer;

  constructor(
    readonly header: RequestHeader,
    /** AEAD header (true) or legacy header (false): picks SHA-256 or MD5 response keys. */
    readonly aead: boolean,
  ) {
    const response = deriveResponseKeyIv(header.bodyKey, header.bodyIv, aead);
    this.responseKey = response.key;
    this.responseIv = response.iv;
  }

  /** Codec options of the request body (client → server). */
  requestBodyOptions(): BodyCodecOptions {
    return this.bodyOptions(this.header.bodyKey, this.header.bodyIv);
  }

  /** Codec options of the response body (server → client); both directions follow the client's option bits. */
  responseBodyOptions(): BodyCodecOptions {
    return this.bodyOptions(this.responseKey, this.responseIv);
  }

  private bodyOptions(key: Buffer, iv: Buffer): BodyCodecOptions {
    const { header } = this;
    return { security: header.security as BodySecurity, options: header.options, command: header.command, key, iv };
  }
}
