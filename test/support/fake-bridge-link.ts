/**
 * What a bridge sends to open its link, made by hand: the VMess request for the fixtures' portal
 * domain (tcp:test.v2ray.com:0), for tests that play a bridge gone wrong.
 */
import { createVmessUser } from '../../src-core/engine/proxy/vmess/account.js';
import { createClientRequest } from '../../src-core/engine/proxy/vmess/client-handshake.js';
import { COMMAND, SECURITY } from '../../src-core/engine/proxy/vmess/consts.js';

/** The request header, and a body that carries `muxBytes`. */
export function fakeBridgeLink(uuid: string, muxBytes: Buffer = Buffer.alloc(0)): { header: Buffer; body: Buffer } {
  const request = createClientRequest({
    user: createVmessUser(uuid, { tag: null }),
    security: SECURITY.aes128Gcm,
    command: COMMAND.tcp,
    address: { kind: 'domain', value: 'test.v2ray.com' },
    port: 0,
  });
  return { header: request.headerBytes, body: request.session.createRequestBodyEncoder().encode(muxBytes) };
}
