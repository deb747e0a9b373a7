/**
 * The crypto notice (engine/proxy/vmess/crypto-notice.ts) for an engine running a given config:
 * which crypto path VMess takes in this process when it is not the usual one (the native cipher
 * off, a JavaScript fallback for what Electron's BoringSSL lacks). Only an engine that speaks
 * VMess has anything to say. `porthole run` prints it; the service puts it in the engine status.
 */
import type { PortholeConfig } from '../../engine/config/index.js';
import { vmessCryptoNotice } from '../../engine/proxy/vmess/crypto-notice.js';

/** One line (`crypto: …`, without a `porthole: ` prefix), or undefined when there is nothing to say. */
export function cryptoNoticeFor(config: PortholeConfig): string | undefined {
  const { inbounds, outbounds } = config;
  if (![...inbounds, ...outbounds].some((handler) => handler.protocol === 'vmess')) return undefined;
  return vmessCryptoNotice();
}
