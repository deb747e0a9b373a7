/**
 * TLS under a proxy's connections (V2Ray 4.34 `transport/internet/tls`), with node:tls and only
 * what both OpenSSL (Node) and BoringSSL (Electron) do: certificates and keys as PEM, ALPN, SNI.
 *
 * 4.34's meaning of `tlsSettings`:
 * - A server presents its `encipherment` certificates, chosen by SNI, else the first.
 * - A client trusts the system roots plus every listed certificate (any usage), or only the listed
 *   ones with `disableSystemRoot`; `allowInsecure` trusts anything. "System roots" are Node's
 *   (bundled, NODE_EXTRA_CA_CERTS) plus the OS store's where Node can read it
 *   (`tls.getCACertificates('system')`), so a company CA the OS trusts works as with V2Ray; where
 *   it cannot, the "not trusted" line names NODE_USE_SYSTEM_CA=1.
 * - SNI and the name checked are `serverName`, else the dialled domain (an IP is checked as an IP).
 * - ALPN: `alpn`, else `h2, http/1.1` (a WebSocket client offers `http/1.1`).
 * - Porthole's `tlsSettings.acme`: the server's certificate comes from a `LiveServerCertificate`
 *   while the inbound runs; until there is one, a client is refused before any handshake.
 *
 * A cut connection must reset (transport/abort.ts): abortStream resets a net.Socket, but a
 * TLSSocket's handle is the TLS layer, which cannot; so each TLS socket resets the TCP one under it.
 */
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls, { type SecureContext } from 'node:tls';
import { PortholeError } from '../../common/errors.js';
import { originOf } from '../../config/origins.js';
import type { TlsSettings } from '../../config/types.js';
import { certificatePem, keyPem } from './pem.js';
import { TlsContentType, opensTlsRecord } from './tls-record.js';

const DEFAULT_ALPN = ['h2', 'http/1.1'];
const WEBSOCKET_ALPN = ['http/1.1'];

/** Makes `abortStream(secure)` reset the TCP connection under it instead of failing over to a FIN. */
function resetThroughRaw(secure: tls.TLSSocket, raw: net.Socket): void {
  // The TLS layer owns the TCP handle now, but the listener counts the raw socket until it closes.
  secure.once('close', () => raw.destroy());
  secure.resetAndDestroy = function resetAndDestroy(this: tls.TLSSocket) {
    if (!raw.destroyed) raw.resetAndDestroy();
    this.destroy();
    return this;
  };
}

/** The roots Node trusts by default (bundled, NODE_EXTRA_CA_CERTS, the system's with --use-system-ca). */
function defaultRoots(): string[] {
  return typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates];
}

/**
 * The OS's trusted roots (Node ≥ 22.15 / 23.10 reads them: the Keychain, the Windows store,
 * OpenSSL's cert file and dir on Linux); undefined where the runtime cannot.
 */
export function systemRoots(): string[] | undefined {
  if (systemRootsRead) return systemRootsRead.roots;
  let roots: string[] | undefined;
  try {
    roots = typeof tls.getCACertificates === 'function' ? tls.getCACertificates('system') : undefined;
  } catch {
    roots = undefined;
  }
  systemRootsRead = { roots };
  return roots;
}

/** Read once per process (~100 ms the first time, as Node reads the store). */
let systemRootsRead: { roots: string[] | undefined } | undefined;

/**
 * What a client's certificate check trusted: `system` Node's roots plus the OS's (4.34 trusts the
 * OS's, Go's `SystemCertPool`), `node` Node's roots only (the OS's could not be read),
 * `listed` only `tlsSettings.certificates` (`disableSystemRoot`).
 */
export type TrustSource = 'system' | 'node' | 'listed';

export interface ClientRoots {
  trust: TrustSource;
  /** The roots, or undefined for Node's default store unchanged (no context of our own needed). */
  ca: string[] | undefined;
}

/** The roots a client trusts, given the OS's (`systemRoots()`; tests pass their own: the OS store is not ours to change). */
export function clientRoots(settings: Pick<TlsSettings, 'disableSystemRoot'>, own: readonly string[], system: string[] | undefined): ClientRoots {
  if (settings.disableSystemRoot) return { trust: 'listed', ca: [...own] };
  const defaults = defaultRoots();
  const known = new Set(defaults);
  // Most of the OS's roots are Node's bundled ones; only the others (a company's CA) are added.
  const added = [...new Set(system ?? [])].filter((pem) => !known.has(pem));
  const trust: TrustSource = system ? 'system' : 'node';
  if (own.length === 0 && added.length === 0) return { trust, ca: undefined };
  return { trust, ca: [...defaults, ...added, ...own] };
}

/**
 * The short reason of a TLS error: OpenSSL's `reason` ("wrong version number") rather than its
 * multi-line message, and without Node's advice about --use-system-ca.
 */
function tlsReason(error: unknown): string {
  const reason = (error as { reason?: unknown } | null)?.reason;
  if (typeof reason === 'string' && reason !== '') return reason;
  const message = (error as Error | null)?.message ?? String(error);
  return (message.split('\n')[0] ?? '').split('; ')[0] ?? message;
}

/** What to add to "not trusted": where else trust could come from, by what was consulted. */
const UNTRUSTED_HINT: Record<TrustSource, string> = {
  system: '',
  listed: '; disableSystemRoot is on, so only tlsSettings.certificates are trusted',
  node: '; a CA that only the OS trusts (a company\'s) counts when Porthole runs with NODE_USE_SYSTEM_CA=1 (node --use-system-ca)',
};

/** Why a client's handshake failed, in the user's terms. */
export function describeClientTlsError(error: unknown, serverName: string, trust: TrustSource = 'system'): string {
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = tlsReason(error);
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the server's certificate is not trusted (${message}): add it or its CA to tlsSettings.certificates, or set allowInsecure${UNTRUSTED_HINT[trust]}`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the server's certificate is not valid for "${serverName}" (${message}): set tlsSettings.serverName to a name it carries`;
    case 'CERT_HAS_EXPIRED':
    case 'CERT_NOT_YET_VALID':
      return `the server's certificate is out of its validity period (${message})`;
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
    case 'ERR_SSL_PACKET_LENGTH_TOO_LONG':
    case 'ERR_SSL_RECORD_LAYER_FAILURE':
      return `the server did not answer with TLS (${message}): is it a plain server? then set "security": "none"`;
    case 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL':
      return 'the server accepts none of our ALPN protocols (tlsSettings.alpn)';
    case 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME':
      return `the server has no certificate for "${serverName}" (${message}): a portal that gets it through ACME may still be ordering it (its log or Overview says)`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the server closed the connection during the TLS handshake (${message}): does it speak TLS?`;
    case 'ETIMEDOUT':
      return `the server did not answer the TLS handshake (${message}): does it speak TLS?`;
    default:
      return `TLS handshake failed: ${message}`;
  }
}

/**
 * The cause as the one-line message ends it (` > CODE`): the error's code, Node's error kept as its
 * cause. Node's own text repeats the reason and advises --use-system-ca even where that cannot
 * help (the OS store already read, or disableSystemRoot); describeClientTlsError says when it can.
 */
function conciseCause(error: Error): Error {
  const code = (error as { code?: unknown }).code;
  const text = typeof code === 'string' && code !== '' ? code : tlsReason(error);
  return Object.assign(new Error(text, { cause: error }), typeof code === 'string' ? { code } : {});
}

/** Whether a server's handshake failed on what the client said (not on it going away or going quiet). */
export function tlsErrorIsMismatch(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code ?? '';
  return code !== 'ECONNRESET' && code !== 'EPIPE' && code !== 'ETIMEDOUT';
}

/**
 * What OpenSSL says when a client's first bytes are no TLS record; which one depends on those
 * bytes (a VMess or VLESS header begins with random bytes, so any of them turns up).
 */
const NOT_TLS_FROM_CLIENT = new Set([
  'ERR_SSL_HTTP_REQUEST',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_UNSUPPORTED_PROTOCOL',
  'ERR_SSL_PACKET_LENGTH_TOO_LONG',
  'ERR_SSL_DATA_LENGTH_TOO_LONG',
  'ERR_SSL_RECORD_LAYER_FAILURE',
  'ERR_SSL_UNEXPECTED_RECORD',
  'ERR_SSL_UNEXPECTED_MESSAGE',
  'ERR_SSL_LENGTH_MISMATCH',
  'ERR_SSL_UNKNOWN_PROTOCOL',
]);

/** Why a client's first bytes cannot open TLS, or undefined when they can: a handshake record (22) of major version 3. */
export function notATlsOpening(first: Buffer): string | undefined {
  // One byte is all a first chunk may hold: then the content type alone decides.
  if (first.length === 1 ? first[0] === TlsContentType.Handshake : opensTlsRecord(first, [TlsContentType.Handshake])) return undefined;
  if (/^[A-Z]{3,7} \S/.test(first.subarray(0, 9).toString('latin1'))) return 'it sent an HTTP request';
  return `its first bytes ${first.subarray(0, 3).toString('hex')} are not a TLS handshake record`;
}

/** Why a server's handshake failed, in the user's terms. */
export function describeServerTlsError(error: unknown): string {
  const code = (error as { code?: string } | null)?.code ?? '';
  const message = tlsReason(error);
  if (code === 'PH_NOT_TLS' || NOT_TLS_FROM_CLIENT.has(code)) {
    return `the client did not speak TLS (${message}): is its "security" "none"?`;
  }
  if (/ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_UNKNOWN)/.test(code)) {
    return `the client rejected our certificate (${code}): it does not trust it, or it expects another name`;
  }
  if (code === 'PH_NO_CERTIFICATE') return message;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `the client closed the connection during the TLS handshake (${message})`;
  if (code === 'ERR_SSL_NO_APPLICATION_PROTOCOL') return 'the client offered none of our ALPN protocols (tlsSettings.alpn)';
  return `TLS handshake failed: ${message}`;
}

/** A client side prepared once per outbound: certificates read, roots chosen. */
export interface ClientTls {
  /** Runs the handshake over a connected TCP socket; rejects with a PortholeError naming the peer. */
  connect(raw: net.Socket, host: string, port: number, timeoutMs: number): Promise<tls.TLSSocket>;
}

/** One context for every client without certificates of its own: building one costs ~80 ms and ~1 MB. */
let sharedSystemContext: { system: string[] | undefined; context: tls.SecureContext } | undefined;

function rootsContext(roots: ClientRoots, own: readonly string[], system: string[] | undefined): tls.SecureContext | undefined {
  if (!roots.ca) return undefined;
  if (own.length > 0 || roots.trust === 'listed') return tls.createSecureContext({ ca: roots.ca });
  const shared = sharedSystemContext;
  if (shared && shared.system === system) return shared.context;
  const context = tls.createSecureContext({ ca: roots.ca });
  sharedSystemContext = { system, context };
  return context;
}

/**
 * `readSystemRoots` (the OS's roots, read once per process) is injectable for tests. The
 * context is made once here, not per connection (a `ca` list per `tls.connect` would build a
 * store of every root each time).
 */
export function prepareClientTls(settings: TlsSettings, carriesWebSocket: boolean, readSystemRoots: () => string[] | undefined = systemRoots): ClientTls {
  const own = settings.certificates.map(certificatePem);
  const system = settings.disableSystemRoot ? undefined : readSystemRoots();
  const roots = clientRoots(settings, own, system);
  const secureContext = rootsContext(roots, own, system);
  const alpn = settings.alpn ? [...settings.alpn] : carriesWebSocket ? WEBSOCKET_ALPN : DEFAULT_ALPN;
  return {
    connect(raw, host, port, timeoutMs) {
      const serverName = settings.serverName ?? (net.isIP(host) === 0 ? host : undefined);
      const peer = net.isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        // Half-close as TCP has it (close_notify, then the peer may still answer); @types/node does not list allowHalfOpen.
        const options: tls.ConnectionOptions & { allowHalfOpen: boolean } = {
          socket: raw, host, ...(serverName !== undefined ? { servername: serverName } : {}), ...(secureContext ? { secureContext } : {}),
          rejectUnauthorized: !settings.allowInsecure, ALPNProtocols: alpn, allowHalfOpen: true,
        };
        const secure = tls.connect(options);
        resetThroughRaw(secure, raw);
        const fail = (error: Error, code: 'PH_DIAL_FAILED' | 'PH_DIAL_TIMEOUT' = 'PH_DIAL_FAILED') => {
          clearTimeout(timer);
          secure.destroy();
          raw.destroy();
          reject(new PortholeError(code, `tls to ${peer}: ${describeClientTlsError(error, serverName ?? host, roots.trust)}`, { cause: conciseCause(error) }));
        };
        const timer = setTimeout(() => fail(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEDOUT' }), 'PH_DIAL_TIMEOUT'), timeoutMs);
        secure.once('error', fail);
        secure.once('secureConnect', () => {
          clearTimeout(timer);
          secure.off('error', fail);
          resolve(secure);
        });
      });
    },
  };
}

/** A fatal `unrecognized_name` alert (RFC 8446 §6.2: a server without a certificate for the name asked). */
const UNRECOGNIZED_NAME_ALERT = Buffer.from([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70]);

/**
 * Answers the client's first bytes (its ClientHello) with the alert, then ends: written before
 * they arrive, the close could reset the connection and the client would never read the alert.
 * A client that goes away or stays silent is closed; `closed` is called once the socket is gone.
 */
function refuseWithAlert(raw: net.Socket, timeoutMs: number, closed: () => void): void {
  const timer = setTimeout(() => raw.destroy(), timeoutMs);
  raw.once('close', () => {
    clearTimeout(timer);
    closed();
  });
  raw.once('end', () => raw.destroy());
  raw.once('data', () => {
    raw.end(UNRECOGNIZED_NAME_ALERT);
    raw.resume();
  });
}

/** A server side prepared once per inbound: its certificates' contexts. */
export interface ServerTls {
  /** Runs the handshake over an accepted TCP socket; rejects with why it failed. */
  accept(raw: net.Socket, timeoutMs: number): Promise<tls.TLSSocket>;
}

/**
 * A certificate an inbound obtains while it runs (`tlsSettings.acme`): shared by the listeners
 * of one inbound, opened before they bind and closed with the last of them.
 */
export interface LiveServerCertificate {
  /** Starts what obtaining it needs (the CA's challenge port); rejects with one line when it cannot. */
  open(): Promise<void>;
  /** What to present now; undefined until the first certificate is issued. */
  context(): SecureContext | undefined;
  /** One line: why there is none yet (ordering, or the last failure and the next try). */
  missing(): string;
  /** What the UI shows: for which name, from whom, and how it stands. */
  describe(): LiveCertificateStatus;
  close(): Promise<void>;
}

export interface LiveCertificateStatus {
  name: string;
  /** The CA, as its directory's host (`acme-v02.api.letsencrypt.org`). */
  authority: string;
  /** 'issued' also while a renewal fails (`reason` then says why); 'failed' while none was ever issued. */
  state: 'pending' | 'issued' | 'failed';
  notAfter?: Date;
  reason?: string;
  /** After a failure: when the next order is tried. */
  retryAt?: Date;
}

export function prepareServerTls(settings: TlsSettings, live?: LiveServerCertificate): ServerTls {
  if (settings.acme && !live) throw new PortholeError('PH_CONFIG_VALUE', 'tlsSettings.acme: this inbound was built without a certificate source');
  const alpn = settings.alpn ? [...settings.alpn] : DEFAULT_ALPN;
  const identities = settings.certificates.filter((c) => c.usage === 'encipherment').map((certificate) => {
    const cert = certificatePem(certificate);
    const key = keyPem(certificate) ?? '';
    try {
      return { x509: new X509Certificate(cert), context: tls.createSecureContext({ cert, key }) };
    } catch (error) {
      throw new PortholeError('PH_CONFIG_VALUE', `invalid certificate or key: ${(error as Error).message}`, { ...(originOf(certificate) ?? {}), cause: error });
    }
  });
  const first = identities[0];
  if (!first && !live) throw new PortholeError('PH_CONFIG_VALUE', 'a TLS inbound needs a certificate with usage "encipherment"');
  // 4.34 picks a certificate by the client's SNI, else the first; the one ACME keeps (for `serverName`) comes first.
  const fallback = (): SecureContext | undefined => live?.context() ?? first?.context;
  const byName = (name: string) => live?.context() ?? identities.find((identity) => identity.x509.checkHost(name) !== undefined)?.context ?? first?.context;
  return {
    accept(raw, timeoutMs) {
      const context = fallback();
      // Nothing to present yet: the client is told so with a TLS alert, not left with an obscure failure.
      if (!context) {
        const why = Object.assign(new Error(`no certificate to present yet: ${live?.missing() ?? 'none configured'}`), { code: 'PH_NO_CERTIFICATE' });
        // Settles once the socket is gone: until then the listener counts it as handshaking (and a close ends it).
        return new Promise((_resolve, reject) => refuseWithAlert(raw, timeoutMs, () => reject(why)));
      }
      return new Promise((resolve, reject) => {
        let secure: tls.TLSSocket | undefined;
        const fail = (error: Error) => {
          clearTimeout(timer);
          raw.off('data', onFirstBytes);
          secure?.destroy();
          raw.destroy();
          reject(error);
        };
        const timer = setTimeout(() => fail(Object.assign(new Error(`no handshake in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs);
        const onClose = () => fail(Object.assign(new Error('closed'), { code: 'ECONNRESET' }));
        // Judged here, not by OpenSSL: it waits for the rest of a record header that a random VMess opening can fake.
        const onFirstBytes = (first: Buffer) => {
          raw.off('end', onClose);
          raw.pause();
          raw.unshift(first);
          const notTls = notATlsOpening(first);
          if (notTls) {
            fail(Object.assign(new Error(notTls), { code: 'PH_NOT_TLS' }));
            return;
          }
          const options: tls.TLSSocketOptions & { allowHalfOpen: boolean } = {
            isServer: true, secureContext: context, ALPNProtocols: alpn, allowHalfOpen: true,
            SNICallback: (name, callback) => callback(null, byName(name)),
          };
          secure = new tls.TLSSocket(raw, options);
          resetThroughRaw(secure, raw);
          raw.off('close', onClose);
          secure.once('error', fail);
          secure.once('close', onClose);
          secure.once('secure', () => {
            clearTimeout(timer);
            secure?.off('error', fail);
            secure?.off('close', onClose);
            resolve(secure as tls.TLSSocket);
          });
        };
        raw.once('close', onClose);
        raw.once('end', onClose);
        raw.once('data', onFirstBytes);
      });
    },
  };
}
