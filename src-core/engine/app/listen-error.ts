/**
 * An inbound that cannot listen, as one line a user can act on: which inbound, where it is
 * configured, the address, and what to do about the usual causes (V2Ray says "failed to listen
 * TCP on 80 > bind: permission denied").
 */
import { PortholeError } from '../common/errors.js';
import { originOf, type InboundConfig } from '../config/index.js';

/** The first errno code (`EADDRINUSE`, …) in an error's cause chain. */
function errnoIn(error: unknown): string | undefined {
  for (let current = error; current instanceof Error; current = current.cause) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && code.startsWith('E') && !code.startsWith('ERR_')) return code;
  }
  return undefined;
}

const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use (another program, or another inbound of this config)',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'this machine has no such address',
};

/** `inbound "public" cannot listen on 127.0.0.1:80: permission denied …`, at the inbound's place. */
export function listenError(tag: string | undefined, config: InboundConfig | undefined, cause: unknown): PortholeError {
  const place = config ? originOf(config) : undefined;
  // Said in full by the inbound itself (its ACME challenge port): kept, at the inbound's place.
  if (cause instanceof PortholeError && cause.code === 'PH_CONFIG_VALUE') return new PortholeError(cause.code, cause.message, { ...place, cause });
  const errno = errnoIn(cause);
  const hint = errno ? LISTEN_HINTS[errno] : undefined;
  const where = config ? `${config.listen}:${config.port.from === config.port.to ? config.port.from : `${config.port.from}-${config.port.to}`}` : 'its address';
  const name = tag ? `inbound ${JSON.stringify(tag)}` : 'an untagged inbound';
  const message = `${name} cannot listen on ${where}`;
  return hint
    ? new PortholeError('PH_DIAL_FAILED', `${message}: ${hint}`, { ...place })
    : new PortholeError('PH_DIAL_FAILED', message, { ...place, cause });
}
