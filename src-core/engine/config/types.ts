/**
 * Porthole's typed runtime config: what the engine reads instead of V2Ray JSON.
 *
 * Built by `loadConfig` from V2Ray 4.34 JSON with V2Ray's meaning (see `v4/`), and turned back
 * into V2Ray JSON by `exportV2RayConfig`. Everything here is plain data (no classes, no Maps):
 * it deep-equals after a round trip and survives `structuredClone`.
 *
 * Normalisation rules, so the engine never re-parses:
 * - IP addresses are canonical text: dotted IPv4, RFC 5952 IPv6 (lowercase, `::`), and an
 *   IPv4-mapped IPv6 address is IPv4 (as V2Ray does). Any other address is a domain, kept as
 *   written (case included). Use `net.isIP()` to tell them apart.
 * - UUIDs are canonical lowercase `8-4-4-4-12` text.
 * - Ports are numbers; port ranges are `{ from, to }` with `from <= to` unless noted.
 * - Defaults are applied. An optional property is omitted (never `undefined`) when it is unset.
 * - A tag is never the empty string: V2Ray treats `""` as "no tag", so the property is omitted.
 *
 * Where an item came from (`file:line:column` and JSON path) is not stored in it; ask
 * `originOf(item)` so that errors can point at the config.
 */

/** Where a config item was written: spread it into `PortholeError` options. */
export interface ConfigOrigin {
  /** The file name as given to `loadConfig` (usually a path). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column, in UTF-16 code units. */
  readonly column: number;
  /** JSON path inside that file, spelled as in the file, e.g. `inbounds[1].settings`. */
  readonly path: string;
}

/** The whole config. */
export interface PortholeConfig {
  readonly log: LogConfig;
  /** In file order. */
  readonly inbounds: readonly InboundConfig[];
  /** In file order. The first one is V2Ray's default outbound (used when no rule matches). */
  readonly outbounds: readonly OutboundConfig[];
  readonly routing: RoutingConfig;
  readonly reverse: ReverseConfig;
  /**
   * The `policy` section, omitted when the file has none. Presence matters: without it V2Ray
   * gives level 1 a 600 s idle timeout; with it, unlisted levels get the plain defaults.
   * Read effective values with `policyForLevel(config, level)`.
   */
  readonly policy?: PolicyConfig;
}

// ---------------------------------------------------------------------------------------------
// log

/**
 * `debug` < `info` < `warning` < `error`: messages at or above the level are written.
 * `none` turns off both the error log and the access log.
 */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'none';

/** Where a log goes. `console` means stdout/stderr as V2Ray does. */
export type LogTarget =
  | { readonly type: 'none' }
  | { readonly type: 'console' }
  | { readonly type: 'file'; readonly path: string };

/**
 * V2Ray: without a `log` section, access → none, error → console, level warning. With a `log`
 * section, an empty or missing `access`/`error` means console and `"none"` (exact case) means off.
 */
export interface LogConfig {
  readonly access: LogTarget;
  readonly error: LogTarget;
  readonly level: LogLevel;
}

// ---------------------------------------------------------------------------------------------
// common

/** An inclusive port range. */
export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** Networks a V2Ray config can name. */
export type Network = 'tcp' | 'udp' | 'unix';

// ---------------------------------------------------------------------------------------------
// streamSettings

/**
 * An inbound's or outbound's `streamSettings`: how its connections are carried (V2Ray
 * `transport/internet`). Omitted from the inbound/outbound when it means plain TCP.
 */
export interface StreamSettings {
  /** `"ws"` and `"websocket"` both read as `websocket`. */
  readonly network: 'tcp' | 'websocket';
  readonly security: 'none' | 'tls';
  /** Present exactly when `security` is `tls` (defaults applied when `tlsSettings` was missing). */
  readonly tls?: TlsSettings;
  /** Present exactly when `network` is `websocket`. */
  readonly ws?: WebSocketSettings;
}

/** `tlsSettings` (V2Ray 4.34 `infra/conf` `TLSConfig`). */
export interface TlsSettings {
  /** SNI and the name the server's certificate must carry; omitted when unset (then the dialled domain, if any). */
  readonly serverName?: string;
  /** ALPN offered/accepted; omitted when unset (V2Ray: `h2, http/1.1`; over WebSocket `http/1.1`). */
  readonly alpn?: readonly string[];
  /** Accept any server certificate. Default false. */
  readonly allowInsecure: boolean;
  /** Trust only the listed certificates, not the system's roots. Default false. */
  readonly disableSystemRoot: boolean;
  /** Accepted and kept for export; Porthole does not resume sessions. Default false. */
  readonly enableSessionResumption: boolean;
  readonly certificates: readonly TlsCertificate[];
  /**
   * Porthole only (export leaves it out): an inbound gets its certificate for `serverName` through
   * ACME instead of files. Listed `encipherment` certificates, if any, are then not needed.
   */
  readonly acme?: LinkAcmeConfig;
}

/** `tlsSettings.acme` on an inbound: the HTTP-01 challenge is answered on `httpPort` of the inbound's `listen`. */
export interface LinkAcmeConfig extends AcmeConfig {
  /** Default 80: the port ACME CAs validate HTTP-01 on (another one only behind a forward from 80). */
  readonly httpPort: number;
}

/**
 * One entry of `certificates`: PEM from a file or written inline (V2Ray joins the lines with
 * `\n`). `encipherment` (the default) is a server's own certificate and key; every entry, whatever
 * its usage, is also trusted as a root by a client.
 */
export interface TlsCertificate {
  readonly usage: 'encipherment' | 'verify';
  /** Exactly one of `certificateFile` / `certificate`. */
  readonly certificateFile?: string;
  readonly certificate?: string;
  /** At most one of `keyFile` / `key` (a key is needed for `encipherment` on an inbound). */
  readonly keyFile?: string;
  readonly key?: string;
}

/** `wsSettings` (V2Ray 4.34 `WebSocketConfig`). */
export interface WebSocketSettings {
  /** Normalised as V2Ray does: `/` when empty, a leading `/` added. */
  readonly path: string;
  /** Request headers a client sends (`Host` replaces the request's host). Keys as written. */
  readonly headers: Readonly<Record<string, string>>;
}

// ---------------------------------------------------------------------------------------------
// inbounds

interface InboundCommon {
  /** Routing's `inboundTag`. Omitted when the inbound has no tag. */
  readonly tag?: string;
  /**
   * Listen address: a canonical IP or `localhost`. Default `0.0.0.0`. Note: Go listens
   * dual-stack on `0.0.0.0`; Node's `server.listen(port, '0.0.0.0')` is IPv4 only, so the engine
   * should pass `'::'` (or no host) to match V2Ray.
   */
  readonly listen: string;
  /**
   * Port or port range to listen on (V2Ray listens on every port of a range). `"env:NAME"` has
   * been resolved. Port 0 means "any free port", as in V2Ray.
   */
  readonly port: PortRange;
  /** How connections arrive; omitted for plain TCP. */
  readonly streamSettings?: StreamSettings;
}

/** `dokodemo-door`: forwards every accepted connection to one fixed destination. */
export interface DokodemoInbound extends InboundCommon {
  readonly protocol: 'dokodemo-door';
  readonly settings: DokodemoSettings;
}

export interface DokodemoSettings {
  /**
   * Destination address (canonical IP or domain). When omitted, V2Ray accepts the config but
   * every connection fails ("unable to get destination").
   */
  readonly address?: string;
  /** Destination port; default 0. */
  readonly port: number;
  /**
   * Networks to accept, never empty; default `['tcp']`. Entries V2Ray does not know (it does
   * not trim `"tcp, udp"`) have been dropped with a warning, as V2Ray ignores them.
   */
  readonly network: readonly ('tcp' | 'udp')[];
  /**
   * Idle timeout in seconds; 0 = unset. When > 0 and `userLevel` is 0, it replaces the level's
   * `connIdle` (V2Ray `proxy/dokodemo`).
   */
  readonly timeout: number;
  /** Policy level of the connections; default 0. */
  readonly userLevel: number;
}

/** `vmess` server (accepts VMess AEAD clients). */
export interface VmessInbound extends InboundCommon {
  readonly protocol: 'vmess';
  readonly settings: VmessInboundSettings;
}

export interface VmessInboundSettings {
  /** Accepted users; may be empty (then every connection fails authentication). */
  readonly clients: readonly VmessUser[];
  /** The `default` object (alterId and level for users V2Ray creates by email); omitted when unset. */
  readonly default?: { readonly alterId: number; readonly level: number };
  /** Reject clients that ask for `none` or legacy AES-128-CFB body security. Default false. */
  readonly disableInsecureEncryption: boolean;
}

/** A VMess user, in an inbound's `clients` or an outbound's `users`. */
export interface VmessUser {
  /** Canonical lowercase UUID. */
  readonly id: string;
  /** Legacy alter IDs; 0 (the default) means VMess AEAD only. */
  readonly alterId: number;
  /** Policy level; default 0. */
  readonly level: number;
  /** Email (any case; V2Ray compares emails case-insensitively). Omitted when empty. */
  readonly email?: string;
  /**
   * Body security as configured. Only meaningful on an outbound (the client chooses). An unknown
   * value means `auto`. Resolve `auto` with `resolveVmessSecurity`.
   */
  readonly security: VmessSecurity;
}

export type VmessSecurity = 'auto' | 'aes-128-gcm' | 'chacha20-poly1305' | 'none';

/** `vless` server (V2Ray 4.34: no encryption, no flow; `decryption` must be `"none"`). */
export interface VlessInbound extends InboundCommon {
  readonly protocol: 'vless';
  readonly settings: VlessInboundSettings;
}

export interface VlessInboundSettings {
  /** Accepted users; may be empty (then every connection is rejected or falls back). */
  readonly clients: readonly VlessUser[];
  /** Where connections that are not VLESS from a known user go, in file order; may be empty. */
  readonly fallbacks: readonly VlessFallback[];
}

/** A VLESS user, in an inbound's `clients` or an outbound's `users`. */
export interface VlessUser {
  /** Canonical lowercase UUID. */
  readonly id: string;
  /** Policy level; default 0. */
  readonly level: number;
  /** Email (unique per inbound, ignoring case). Omitted when empty. */
  readonly email?: string;
}

/** One `fallbacks` entry (V2Ray 4.34 `VLessInboundFallback`), as normalised by 4.34's builder. */
export interface VlessFallback {
  /** TLS ALPN this entry is for; `""` = any. */
  readonly alpn: string;
  /** HTTP request path this entry is for (starts with "/"); `""` = any. */
  readonly path: string;
  /** `tcp` (dest `host:port`; a bare port became `127.0.0.1:port`) or `unix` (dest a socket path, "@" = abstract). */
  readonly type: 'tcp' | 'unix';
  readonly dest: string;
  /** PROXY protocol version; Porthole supports only 0 (none). */
  readonly xver: 0;
}

/** A user name and password of a `socks` or `http` inbound (`accounts`). */
export interface ProxyAccount {
  readonly user: string;
  readonly pass: string;
}

/** `socks` server: SOCKS 4, 4a and 5 (V2Ray 4.34 `proxy/socks`). */
export interface SocksInbound extends InboundCommon {
  readonly protocol: 'socks';
  readonly settings: SocksInboundSettings;
}

export interface SocksInboundSettings {
  /** `password`: SOCKS 5 username/password only (SOCKS 4 refused). Unknown values read as `noauth`. */
  readonly auth: 'noauth' | 'password';
  /** Unique user names, in file order of their last entry (a repeated name keeps its last password). */
  readonly accounts: readonly ProxyAccount[];
  /** Accept UDP ASSOCIATE, and datagrams on the same port. Default false. */
  readonly udp: boolean;
  /** The address a UDP ASSOCIATE reply names (canonical IP or domain); omitted when unset. */
  readonly ip?: string;
  /** Deprecated idle timeout in seconds; 0 = unset. With `userLevel` 0 it replaces `connIdle`. */
  readonly timeout: number;
  readonly userLevel: number;
}

/** `http` proxy server: CONNECT and absolute-form requests (V2Ray 4.34 `proxy/http`). */
export interface HttpInbound extends InboundCommon {
  readonly protocol: 'http';
  readonly settings: HttpInboundSettings;
}

export interface HttpInboundSettings {
  /** Idle timeout in seconds; 0 = unset. With `userLevel` 0 it replaces `connIdle`. */
  readonly timeout: number;
  /** Basic proxy authentication when not empty (a repeated name keeps its last password). */
  readonly accounts: readonly ProxyAccount[];
  /** Forward origin-form requests (no absolute URI) to their `Host`. Default false (400). */
  readonly allowTransparent: boolean;
  readonly userLevel: number;
}

export type InboundConfig = DokodemoInbound | VmessInbound | VlessInbound | SocksInbound | HttpInbound;
export type InboundProtocol = InboundConfig['protocol'];

// ---------------------------------------------------------------------------------------------
// outbounds

/** Mux.Cool client settings of an outbound (wire doc §4.4). */
export interface MuxConfig {
  readonly enabled: boolean;
  /** Max concurrent sessions per connection, 1..1024; `0`/missing in JSON became 8. */
  readonly concurrency: number;
}

interface OutboundCommon {
  /** Routing's `outboundTag`. Omitted when the outbound has no tag. */
  readonly tag?: string;
  /** Local IP to dial from (canonical); omitted when unset. */
  readonly sendThrough?: string;
  /** Omitted when `mux` is missing or has a negative concurrency (V2Ray: mux off entirely). */
  readonly mux?: MuxConfig;
  /** How connections leave; omitted for plain TCP. */
  readonly streamSettings?: StreamSettings;
}

/** `freedom`: dials the destination directly. */
export interface FreedomOutbound extends OutboundCommon {
  readonly protocol: 'freedom';
  readonly settings: FreedomSettings;
}

export type FreedomDomainStrategy = 'AsIs' | 'UseIP' | 'UseIPv4' | 'UseIPv6';

export interface FreedomSettings {
  /** How to resolve a domain destination; unknown values mean `AsIs`. */
  readonly domainStrategy: FreedomDomainStrategy;
  /**
   * `redirect: "host:port"`: a port other than 0 replaces the destination port; an address, when
   * present, replaces the destination address (`":80"` changes only the port). `0.0.0.0` is
   * dropped here, as V2Ray ignores it. The network is kept.
   */
  readonly redirect?: { readonly address?: string; readonly port: number };
  /** Idle timeout in seconds; 0 = unset. When > 0 and `userLevel` is 0 it replaces `connIdle`. */
  readonly timeout: number;
  readonly userLevel: number;
}

/** `vmess` client. */
export interface VmessOutbound extends OutboundCommon {
  readonly protocol: 'vmess';
  readonly settings: VmessOutboundSettings;
}

export interface VmessOutboundSettings {
  /** Servers, at least one, each with at least one user. */
  readonly vnext: readonly VmessServer[];
}

export interface VmessServer {
  /** Canonical IP or domain. */
  readonly address: string;
  /** 0..65535 (V2Ray accepts 0). */
  readonly port: number;
  readonly users: readonly VmessUser[];
}

/** `blackhole`: reads nothing and closes, optionally after an HTTP 403 (wire doc §6). */
export interface BlackholeOutbound extends OutboundCommon {
  readonly protocol: 'blackhole';
  readonly settings: { readonly response: 'none' | 'http' };
}

/** `vless` client. Mux.Cool over it is the outbound's `mux` (command 0x03). */
export interface VlessOutbound extends OutboundCommon {
  readonly protocol: 'vless';
  readonly settings: VlessOutboundSettings;
}

export interface VlessOutboundSettings {
  /** Servers, at least one, each with at least one user (whose `encryption` was `"none"`). */
  readonly vnext: readonly VlessServer[];
}

export interface VlessServer {
  /** Canonical IP or domain. */
  readonly address: string;
  readonly port: number;
  readonly users: readonly VlessUser[];
}

export type OutboundConfig = FreedomOutbound | VmessOutbound | BlackholeOutbound | VlessOutbound;
export type OutboundProtocol = OutboundConfig['protocol'];

// ---------------------------------------------------------------------------------------------
// routing

/** `AsIs` (default, also for unknown values), `IPIfNonMatch`, `IPOnDemand`, `AlwaysIP`. */
export type RoutingDomainStrategy = 'AsIs' | 'IPIfNonMatch' | 'IPOnDemand' | 'AlwaysIP';

export interface RoutingConfig {
  readonly domainStrategy: RoutingDomainStrategy;
  /** Tried in order; the first rule whose conditions all match wins. */
  readonly rules: readonly RoutingRule[];
}

/**
 * One `"type": "field"` rule. Every condition present must match (AND); values inside one
 * condition are alternatives (OR). An absent condition does not constrain. A condition that is
 * present but empty (`[]`) never matches (V2Ray: e.g. `"port": ""`); Porthole warns about it.
 * At least one condition is present.
 */
export interface RoutingRule {
  /** Names an outbound or a portal (checked at load time). */
  readonly outboundTag: string;
  /** Target domain matchers (`domain` and `domains` merged). Match only when the target is a domain. Case-sensitive. */
  readonly domain?: readonly DomainMatcher[];
  /** Target IP ranges. Match only when the target is an IP (with `AsIs`). */
  readonly ip?: readonly Cidr[];
  /** Target port ranges. */
  readonly port?: readonly PortRange[];
  readonly network?: readonly Network[];
  /** Source IP ranges. */
  readonly source?: readonly Cidr[];
  readonly sourcePort?: readonly PortRange[];
  /** User emails (exact, case-sensitive). Empty strings dropped. */
  readonly user?: readonly string[];
  /** Inbound (or bridge) tags. Empty strings dropped. */
  readonly inboundTag?: readonly string[];
}

/**
 * A domain matcher (wire doc §6), tested against the target domain as is (case-sensitive):
 * - `full`: equal to `value`.
 * - `domain`: equal to `value` or ending in `"." + value`.
 * - `keyword`: contains `value` (a rule string without prefix is a keyword; may be empty).
 * - `regexp`: Go RE2 `value` found anywhere (unanchored). Use `compileDomainMatcher`.
 * - `dotless`: matches RE2 `^[^.]*<value>[^.]*$` (`value` is a regexp fragment without ".",
 *   may be empty: "no dot at all").
 */
export interface DomainMatcher {
  readonly kind: 'full' | 'domain' | 'keyword' | 'regexp' | 'dotless';
  readonly value: string;
}

/** An IP range: canonical network address (host bits cleared) and prefix length. */
export interface Cidr {
  readonly address: string;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly prefix: number;
}

// ---------------------------------------------------------------------------------------------
// reverse (wire doc §5)

/** A bridge dials `tcp:<domain>:0` with inbound tag `tag`; routing must send that to a VMess outbound. */
export interface BridgeConfig {
  readonly tag: string;
  readonly domain: string;
}

/** A portal is an outbound named `tag`; connections whose target domain equals `domain` are bridge links. */
export interface PortalConfig {
  readonly tag: string;
  readonly domain: string;
  /** Porthole only (V2Ray has no such field; export leaves it out): bridges may ask for public ports. */
  readonly exposures?: PortalExposuresConfig;
}

/**
 * `reverse.portals[].exposures`: which public ports Porthole bridges may ask this portal to open
 * (the one-click exposure extension, negotiated on the links; V2Ray bridges never see it).
 */
export interface PortalExposuresConfig {
  /** Ports a bridge may be given, e.g. "20000-20099" or [8080, "9000-9010"]. */
  readonly ports: readonly PortRange[];
  /** Address the public listeners bind to; default "0.0.0.0". */
  readonly listen: string;
  /** Host name bridges show in public addresses (default: the address they dial the portal at). */
  readonly publicHost?: string;
  /** Exposures one bridge user (its VMess credentials) may hold at once; absent: `DEFAULT_EXPOSURES_PER_USER`. */
  readonly maxPerUser?: number;
  /** Names at the portal's edge (`https://<label>.<domain>`); absent: exposures get ports only. */
  readonly names?: PortalNamesConfig;
}

/**
 * `reverse.portals[].exposures.names` (Porthole only): HTTP and HTTPS listeners shared by every
 * exposure, each request routed by its Host (HTTP) or SNI (TLS) to the exposure holding that name.
 */
export interface PortalNamesConfig {
  /** Labels become `<label>.<domain>`. */
  readonly domain: string;
  /** Port of the shared HTTP listener (on `exposures.listen`); default 80. */
  readonly httpPort: number;
  /** Port of the shared HTTPS listener; absent when there is no certificate source. */
  readonly httpsPort?: number;
  /** Certificates through ACME (Let's Encrypt by default), one per name, renewed before expiry. */
  readonly acme?: AcmeConfig;
  /** Certificates the owner provides (a wildcard `*.<domain>` covers every label); they win over ACME. */
  readonly certificates: readonly { readonly certificateFile: string; readonly keyFile: string }[];
  /** Bridges may ask for full names of their own (served once ACME issues their certificate). */
  readonly customDomains: boolean;
}

export interface AcmeConfig {
  /** The ACME directory URL; default Let's Encrypt's production directory. */
  readonly directory: string;
  readonly email?: string;
  /** Trust for the ACME server's HTTPS (a test CA such as Pebble's); default: the system's roots. */
  readonly caFile?: string;
  /** Where account and certificates are kept (0700; keys 0600). */
  readonly storage: string;
}

export interface ReverseConfig {
  readonly bridges: readonly BridgeConfig[];
  readonly portals: readonly PortalConfig[];
}

// ---------------------------------------------------------------------------------------------
// policy

/** One level as written in `policy.levels`; omitted fields take the defaults. */
export interface LevelPolicySettings {
  /** Seconds. */
  readonly handshake?: number;
  readonly connIdle?: number;
  readonly uplinkOnly?: number;
  readonly downlinkOnly?: number;
  readonly statsUserUplink: boolean;
  readonly statsUserDownlink: boolean;
  /** Per-connection buffer in bytes (JSON `bufferSize` is KiB); -1 = unlimited; 0 = none. */
  readonly bufferBytes?: number;
}

export interface SystemPolicy {
  readonly statsInboundUplink: boolean;
  readonly statsInboundDownlink: boolean;
  readonly statsOutboundUplink: boolean;
  readonly statsOutboundDownlink: boolean;
}

export interface PolicyConfig {
  /** Keyed by level number. */
  readonly levels: Readonly<Record<number, LevelPolicySettings>>;
  /** All false when `system` is missing. */
  readonly system: SystemPolicy;
}

/** Effective values for one level: see `policyForLevel`. Times in seconds. */
export interface LevelPolicy {
  readonly handshake: number;
  readonly connIdle: number;
  readonly uplinkOnly: number;
  readonly downlinkOnly: number;
  readonly statsUserUplink: boolean;
  readonly statsUserDownlink: boolean;
  /** Bytes; -1 = unlimited. */
  readonly bufferBytes: number;
}
