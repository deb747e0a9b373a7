/**
 * The shapes the engine service hands out: plain JSON-safe data (numbers, strings, arrays),
 * so they cross HTTP, WebSocket and Electron IPC unchanged.
 *
 * Stability: fields may be added; existing fields keep their name, type and meaning. Times are
 * milliseconds since the epoch, byte counts are bytes, rates are bytes per second.
 */
import type { ErrorEnvelope } from './errors.js';

/** Severity as V2Ray's `log.loglevel` names it. */
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** `'stopped'` → `'starting'` → `'running'` → `'stopping'` → `'stopped'`; a failed start is `'failed'`. */
export type EngineState = 'stopped' | 'starting' | 'running' | 'stopping' | 'failed';

export interface EngineStatus {
  state: EngineState;
  /** The active profile's name (what `startEngine` runs); null when none is chosen. */
  profile: string | null;
  /** When the engine reached its current state. */
  since: number;
  /** Why the last start failed (state `'failed'`). */
  error: ErrorEnvelope | null;
  /** Where each inbound listens while running, e.g. `{tag: 'external', address: '127.0.0.1:80'}`. */
  listening: { tag: string; address: string }[];
  /**
   * While running an engine that speaks VMess: which crypto path it takes in this process when
   * that is not the usual one (the native chunk cipher off, a JavaScript fallback for what this
   * runtime's node:crypto lacks, as in Electron's BoringSSL), the line `porthole run` prints, e.g.
   * `crypto: native AEAD not in use (…), so VMess chunk ciphers use node:crypto instead`. Absent
   * when there is nothing to say. Information, not an error.
   */
  cryptoNotice?: string;
}

/** One point of a traffic series: rates averaged over the point's step. */
export interface TrafficPoint {
  time: number;
  upRate: number;
  downRate: number;
}

/**
 * A connection as the Connections page shows it. `kind: 'tunnel'` marks the bridge↔portal links
 * themselves (their target is the reverse domain); `'connection'` is everything they carry and
 * everything else.
 */
export interface ConnectionRow {
  id: number;
  kind: 'connection' | 'tunnel';
  inboundTag: string;
  outboundTag: string;
  source: string;
  /** `network:host:port`, as V2Ray's access log writes it. */
  target: string;
  startedAt: number;
  /** Set once closed; closed rows stay listed for about a minute. */
  closedAt: number | null;
  bytesUp: number;
  bytesDown: number;
  /** Over the last sampling second. */
  upRate: number;
  downRate: number;
  /**
   * True for a bridge's service-side connection whose visitor this same instance's portal also
   * lists (bridge and portal in one process, as the demo profile and the built-in local portal
   * are): one user connection, counted once in the totals (on its public side; its upload here,
   * where it reaches the service). Absent otherwise.
   */
  serviceSide?: boolean;
  /** The exposure this connection belongs to (by its inbound or outbound tag), if any. */
  exposure?: { id: string; name: string };
}

/** Which side of the routing a tag is on. */
export type TagDirection = 'inbound' | 'outbound';

/** Bytes through one tag since the engine started, and its current rates. */
export interface TagTraffic {
  tag: string;
  direction: TagDirection;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
}

/** A bridge (private side): its links to the portal ("workers") and the streams they carry now. */
export interface BridgeState {
  tag: string;
  domain: string;
  /** Links the portal confirmed as active. */
  activeLinks: number;
  /** Links open now (connecting, active or draining). */
  workers: number;
  /** Connections coming out of the tunnel, open now. */
  openStreams: number;
  /** `'up'` with an active link, `'connecting'` with links but none active yet, `'down'` with none. */
  linkState: 'up' | 'connecting' | 'down';
  /**
   * While no link is up: why the last one failed or was lost, as the log says it, naming the peer
   * (e.g. `could not open a link to the portal: websocket wss://vps.example.com:443/wrong: the server
   * answered 404 Not Found …`); null once a link is up or before the first attempt ended.
   */
  problem: ErrorEnvelope | null;
}

/** A portal (public side): bridge links, and the streams on each. */
export interface PortalState {
  tag: string;
  domain: string;
  links: number;
  /** Open streams per live link, control excluded. */
  linkLoads: number[];
  openStreams: number;
  /** Links told to drain so far. */
  drainedLinks: number;
  linkState: 'up' | 'down';
  /** Public ports this portal opened for bridges' exposures (Porthole extension). */
  publicPorts: { id: string; name: string; port: number; local: string }[];
}

/** Sum over user connections (tunnel links themselves are not counted twice). */
export interface TrafficTotals {
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
}

/**
 * What `onDidChangeSnapshot` delivers about once a second: everything the Overview, Connections
 * and Traffic pages show live. `point` is this second's total; clients append it to their graph
 * (the history comes from `getTrafficHistory`).
 */
export interface EngineSnapshot {
  /** Increases by one per snapshot; a gap means a client missed some. */
  seq: number;
  time: number;
  status: EngineStatus;
  totals: TrafficTotals;
  point: TrafficPoint;
  tags: TagTraffic[];
  bridges: BridgeState[];
  portals: PortalState[];
  connections: ConnectionRow[];
  /** Every exposure with its state and traffic (issue 7). */
  exposures: ExposureStatus[];
  /** "Pause all" is on: every exposure is off until resumed (each keeps its own `enabled`). */
  exposuresPaused: boolean;
  /** Where the built-in local portal opens public ports, and this machine's LAN addresses (issue 4/7). */
  localPortal?: LocalPortalInfo;
  /** Certificates the engine obtains itself (an inbound's `tlsSettings.acme`); absent when none. */
  certificates?: EngineCertificate[];
}

/** A TLS certificate the engine gets through ACME, as it stands now. */
export interface EngineCertificate {
  /** The inbound that presents it. */
  inboundTag: string;
  /** The DNS name it is for (`tlsSettings.serverName`). */
  name: string;
  /** The CA: its ACME directory's host. */
  authority: string;
  /** 'issued' also while a renewal fails (`reason` says why); 'failed' while none was ever issued. */
  state: 'pending' | 'issued' | 'failed';
  /** Expiry, ms since the epoch. */
  notAfter?: number;
  /** The last order's failure, one line. */
  reason?: string;
  /** After a failure: when the next order is tried (ms since the epoch). */
  retryAt?: number;
}

/**
 * The built-in local portal's reach. Loopback by default: only this machine opens its addresses.
 * With the `localPortalLan` setting on, it listens on the LAN too and gives out a LAN address.
 */
export interface LocalPortalInfo {
  /** The engine runs the built-in portal now (exposures go through it). */
  inUse: boolean;
  /** Where its public ports listen: `127.0.0.1`, `0.0.0.0` or one LAN address. */
  listen: string;
  /** The host its public addresses name (what the UI shows and copies). */
  publicHost: string;
  /** Reachable from other machines on the network (the setting is on and a LAN address exists). */
  lan: boolean;
  /** This machine's IPv4 addresses other machines on the network may reach (none on a machine without a network). */
  lanAddresses: string[];
  /** Why the LAN setting could not be applied (the chosen address is gone), else null. */
  problem: string | null;
  /** The HTTP port of its `http://<label>.localhost:<port>` names; null without names. Optional: absent from older services. */
  namesPort?: number | null;
  /** Why it gives no names now (their port was taken, or it listens on one LAN address only), else null. */
  namesProblem?: string | null;
}

/**
 * An exposure: a local service (`localHost:localPort`) made reachable on a public port of the
 * portal the bridge links to (or of the built-in local portal when no server is configured).
 */
export interface Exposure {
  /** Stable, generated (`e-` and 8 hex digits). */
  id: string;
  name: string;
  localHost: string;
  localPort: number;
  /** The public port asked for; null lets the portal pick one from its range. */
  publicPort: number | null;
  enabled: boolean;
  createdAt: number;
  /**
   * Its name at a portal that gives names: `<label>.<domain>` (`web`, `app-3000`; a-z, 0-9, "-").
   * Optional: absent from older services.
   */
  label?: string;
  /**
   * A domain of the user's own (`shop.example.com`) the portal also serves it by, once the
   * domain's DNS points at the server and its certificate is issued. Optional: absent when none.
   */
  customDomain?: string;
  /** Who may visit, checked at the portal. Optional: absent from older services. */
  access?: ExposureAccess;
}

/**
 * An exposure's gate at the portal. Basic auth and the allowlist guard visitors by name (the
 * portal's HTTP/HTTPS edge); PROXY protocol is for the public port (TCP). The password is never
 * sent back: only whether one is set.
 */
export interface ExposureAccess {
  basicAuth: { user: string } | null;
  /** CIDRs (IPv4 or IPv6) visitors must come from; empty: everyone. */
  allow: string[];
  /** The portal writes a PROXY protocol header (v1 or v2) before each visitor's bytes on the public port. */
  proxyProtocol: 1 | 2 | null;
}

/** What `updateExposure` may change in `access`; a field left out stays as it is. */
export interface ExposureAccessPatch {
  /** null: no credentials. `password` left out keeps the one set (it is an error when none is). */
  basicAuth?: { user: string; password?: string } | null;
  allow?: string[];
  proxyProtocol?: 1 | 2 | null;
}

/** What `addExposure` takes. One exposure per local host:port. */
export interface ExposureInput {
  localHost?: string;
  localPort: number;
  name?: string;
  publicPort?: number | null;
  /** Default: a slug of the name, or `app-<port>`. */
  label?: string;
  /** A domain of the user's own, served too where the portal allows it. */
  customDomain?: string;
}

/** What `updateExposure` may change. */
export interface ExposurePatch {
  name?: string;
  enabled?: boolean;
  publicPort?: number | null;
  /** A new name at the portal; a portal that refuses it (taken) leaves the old one, and the call rejects with its reason. */
  label?: string;
  /** A domain of the user's own; null: none. One another exposure uses is refused, as is one another user holds at the portal. */
  customDomain?: string | null;
  access?: ExposureAccessPatch;
}

/**
 * Where an exposure stands:
 * - `'disabled'`: switched off (or paused);
 * - `'offline'`: the engine is stopped or no link to the portal is up yet;
 * - `'requesting'`: asked a Porthole portal for a public port, no answer yet (or the local address
 *   is still being checked);
 * - `'live'`: works end to end: a link to the portal is up, the portal's public port listens and
 *   the local address answered its last check;
 * - `'local-down'`: the public port listens at `publicAddress`, but nothing answers at the local
 *   address, so visitors get no answer (`problem` says so); live again once something does;
 * - `'setup-needed'`: the portal is V2Ray, which cannot open ports on request: apply Server setup;
 * - `'refused'`: the portal said no (`problem` says why); asked again when a link comes back or
 *   the exposure is edited, and every 30 s while another program holds the public port.
 */
export type ExposureState = 'disabled' | 'offline' | 'requesting' | 'live' | 'setup-needed' | 'refused' | 'local-down';

/** What a server owner can add to the portal's `exposures` for names, e.g. `"names": {"domain": "203-0-113-5.sslip.io", "acme": {}}`. */
export interface NamesHint {
  /** The JSON member to add. */
  snippet: string;
  /** The domain in it: a wildcard-DNS name of the server's IP (sslip.io), or the server's own name. */
  domain: string;
  /** True when `domain` is under sslip.io: it resolves with no DNS setup at all. */
  wildcardDns: boolean;
}

/** Which portal serves the exposures: the built-in one, a Porthole server, a V2Ray server. */
export type PortalKind = 'local' | 'porthole' | 'v2ray';

export interface ExposureStatus extends Exposure {
  state: ExposureState;
  /** `host:port` to give out, once live (for a V2Ray portal: where Server setup puts it). */
  publicAddress: string | null;
  /**
   * Where visitors reach it by name, once the portal gave it one: `https://web.tunnel.example.com`,
   * or `http://web.localhost:21080` on the built-in portal. The first is what to give out.
   * Optional: absent from older services.
   */
  urls?: string[];
  /**
   * The portal is a Porthole server that gives no names: what its owner can add to the portal's
   * `exposures` so that it does. Optional: absent from older services.
   */
  namesHint?: NamesHint | null;
  /**
   * Why the portal does not serve `customDomain` (it gives no names of the user's own): the
   * exposure is asked for without it and stays live by its other names. Optional: absent when none.
   */
  customDomainProblem?: string | null;
  portalKind: PortalKind | null;
  /** Why it is refused, or what is wrong on this side; null when all is well. */
  problem: ErrorEnvelope | null;
  /** False when nothing answered at local host:port on the last check; null before the first. */
  localReachable: boolean | null;
  /**
   * True when the local address answered an HTTP request (a `HEAD /` sent once each time it starts
   * answering), so its public address is given out as `http://…`; false when it answered something
   * else; null before that check. Optional: absent from older services.
   */
  localHttp?: boolean | null;
  bytesUp: number;
  bytesDown: number;
  upRate: number;
  downRate: number;
  openConnections: number;
}

/**
 * How the bridge's links reach the portal (Server setup offers each):
 * - `'tcp'`: plain VMess over TCP;
 * - `'tls'`: VMess over TLS, the portal holding the certificate;
 * - `'ws'`: VMess over WebSocket, no TLS (e.g. behind a CDN that adds it);
 * - `'ws-tls'`: VMess over WebSocket + TLS, TLS ended by nginx or Caddy on the server, which hand
 *   the WebSocket path to the portal listening on a loopback port.
 */
export type SetupTransport = 'tcp' | 'tls' | 'ws' | 'ws-tls';

/** What the user picks in Server setup; every field defaults to what the profile uses now. */
export interface ServerSetupOptions {
  transport?: SetupTransport;
  /** TLS: the name on the server's certificate (SNI), e.g. `vps.example.com`. */
  serverName?: string;
  /** WebSocket: the path, e.g. `/porthole`. */
  path?: string;
  /** TLS: the certificate and key files on the server; default Let's Encrypt's for `serverName`. */
  certificateFile?: string;
  keyFile?: string;
  /** The port the bridge dials (default: the profile's; 443 when switching to `'ws-tls'`). */
  port?: number;
  /** `'ws-tls'`: the loopback port the portal listens on behind nginx/Caddy (default 10000). */
  portalPort?: number;
  /**
   * A V2Ray portal's names: each exposure becomes `https://<label>.<namesDomain>` through Caddy or
   * nginx in front of its dokodemo-door port (which then listens on loopback only). Absent or
   * empty: no names, public ports as before.
   */
  namesDomain?: string;
}

/** A file to put on a server, with what to run after. */
export interface SetupFile {
  fileName: string;
  text: string;
  command: string;
}

/** The portal-side config matching a bridge profile (Profiles → Server setup). */
export interface ServerSetup {
  /** The bridge profile it matches. */
  profile: string;
  /** `host:port` the bridge dials: where the portal (or, for `'ws-tls'`, nginx/Caddy) must listen. */
  serverAddress: string;
  /** The transport the configs are made for, with its settings (all filled in). */
  transport: {
    kind: SetupTransport;
    /** TLS kinds: the certificate's name; else null. */
    serverName: string | null;
    /** WebSocket kinds: the path; else null. */
    path: string | null;
    /** Where the portal's link inbound listens: `host:port` (loopback behind nginx/Caddy). */
    portalListen: string;
    /** TLS kinds: the certificate files the configs name (on the server); else null. */
    certificateFile: string | null;
    keyFile: string | null;
    /** The transport the saved profile uses now. */
    current: SetupTransport;
  };
  /** For a server running V2Ray: a complete config that `v2ray -test` accepts. */
  v2ray: SetupFile;
  /** For a server running Porthole headless: the same, plus a port range for one-click exposures. */
  porthole: SetupFile;
  /**
   * The bridge profile that matches these configs (same address, port, path, serverName, TLS):
   * the saved profile with its link outbound's `streamSettings` set. `changed` is false when the
   * saved profile already says so.
   */
  bridge: { fileName: string; text: string; changed: boolean };
  /** `'ws-tls'` only: nginx and Caddy configs that end TLS and pass the WebSocket path to the portal. */
  proxies: { nginx: SetupFile; caddy: SetupFile } | null;
  /** One line per exposure (public port → local address) the configs carry. */
  exposures: string[];
  /** The protocol the link speaks (the bridge outbound's, so the portal inbound's too). */
  protocol: 'vmess' | 'vless';
  /** Each exposure's public port in the configs: the port the app shows for it. */
  publicPorts: SetupPublicPort[];
  /** Installing and running the V2Ray portal on the server, step by step. */
  install: SetupInstall;
  /** With `namesDomain`: each exposure's name and the Caddy/nginx configs that serve it. Optional: absent from older services. */
  names?: SetupNames | null;
}

/** A V2Ray portal's names (V2Ray cannot route by name): Caddy or nginx maps each name to its dokodemo-door port. */
export interface SetupNames {
  domain: string;
  names: SetupName[];
  /** Site blocks for Caddy (automatic HTTPS), imported from /etc/caddy/Caddyfile. */
  caddy: SetupFile;
  /** `server` blocks for nginx (one per name on 443, one on 80 for ACME and the redirect). */
  nginx: SetupFile;
  /** Gets nginx's certificates with certbot (before the nginx file goes in place: nginx needs them to load). */
  certbot: string;
}

/** One exposure's name behind Caddy/nginx. */
export interface SetupName {
  exposureId: string;
  /** The exposure's name in the app. */
  name: string;
  /** `web.203-0-113-5.sslip.io` */
  host: string;
  /** `https://web.203-0-113-5.sslip.io` */
  url: string;
  /** The dokodemo-door port on the server's loopback that Caddy/nginx pass it to. */
  port: number;
}

/** One exposure's public port, as the portal configs open it. */
export interface SetupPublicPort {
  exposureId: string;
  name: string;
  port: number;
  /** `host:port` on the bridge's machine. */
  local: string;
}

/** One step of installing the portal: a command to copy, and optionally a file it needs. */
export interface SetupStep {
  id: 'install' | 'config' | 'test' | 'service' | 'firewall-ufw' | 'firewall-firewalld';
  title: string;
  command: string;
  /** What to know (a path that differs, a permission). */
  note?: string;
  /** Another way to do it where the usual one does not apply (e.g. the v2fly script without apt). */
  alternative?: { label: string; command: string };
  file?: SetupFile;
}

/** How to install and run the V2Ray portal on a Debian/Ubuntu (or any systemd) server. */
export interface SetupInstall {
  steps: SetupStep[];
  /** The ports the firewall must open (TCP): the link's public port, then each exposure's. */
  ports: number[];
}

/** One line of Server setup's Check: a step of the path, in order. */
export interface ServerCheckStep {
  /** `server`: TCP to the server; `transport`: TLS/WebSocket; `link`: the VMess/VLESS request; `exposure`: a public port end to end. */
  kind: 'server' | 'transport' | 'link' | 'exposure';
  /** `skipped`: an earlier step failed, so this one was not tried. */
  state: 'ok' | 'failed' | 'skipped';
  /** The line shown, e.g. "server reachable" or "exposure web → port 20001 reaches localhost:3000". */
  title: string;
  /** Why it failed, or what was seen; empty when the title says it all. */
  detail: string;
  /** `exposure` lines: which exposure. */
  exposureId?: string;
}

/** What Check found, trying the link as configured and each exposure's public port. */
export interface ServerCheck {
  profile: string;
  serverAddress: string;
  /** Every step passed. */
  ok: boolean;
  steps: ServerCheckStep[];
}

/** The Traffic page's windows. 1 min and 5 min have 1 s points, 1 h has 10 s points. */
export type TrafficWindow = '1m' | '5m' | '1h';

/** A series of rates: the total (`tag: null`) or one tag. */
export interface TrafficSeries {
  tag: string | null;
  direction: TagDirection | null;
  points: TrafficPoint[];
}

/** A moment the graphs mark with a vertical line: an engine started (after a profile switch, a stop, or at launch). */
export interface TrafficMark {
  time: number;
  /** The profile the engine runs from then on; null for the built-in local portal. */
  profile: string | null;
}

export interface TrafficHistory {
  window: TrafficWindow;
  /** Milliseconds between points. */
  stepMs: number;
  total: TrafficSeries;
  tags: TrafficSeries[];
  /** Engine starts within the window, oldest first (history is kept across them). */
  marks?: TrafficMark[];
}

/** One log line, for the Logs page. Access lines have level `'info'`. */
export interface LogLine {
  /** Increases by one per line for the service's lifetime (survives engine restarts). */
  seq: number;
  time: number;
  kind: 'error' | 'access';
  level: LogLevel;
  /** The engine part that spoke (`app/reverse/bridge`), or `access`. */
  component: string;
  /** The line without time and level, e.g. `from 127.0.0.1:5000 accepted tcp:… [external -> portal]`. */
  message: string;
  connectionId: number | null;
}

/** A profile in the list. */
export interface ProfileSummary {
  name: string;
  /** `'store'`: kept in the profiles folder, editable. `'command-line'`: given with `-c`, read-only. */
  origin: 'store' | 'command-line';
  active: boolean;
  updatedAt: number;
  /** Null when the text loads; else the first error. */
  error: ErrorEnvelope | null;
  /** What the config makes this instance: e.g. `['bridge "bridge"', 'portal "portal"']`. */
  roles: string[];
}

/** A profile with its text (V2Ray JSON, comments allowed). */
export interface Profile extends ProfileSummary {
  text: string;
}

/**
 * What `validateProfile` says: `ok` with warnings and roles, or every error with its place
 * (`errors`, in line order; `error` is the first of them).
 */
export type ValidationResult =
  | { ok: true; warnings: ErrorEnvelope[]; roles: string[] }
  | { ok: false; error: ErrorEnvelope; errors: ErrorEnvelope[] };

/** The profile's text as `v2ray -test -config` accepts it: Porthole-only fields cut out, comments and layout kept. */
export interface ExportedProfile {
  fileName: string;
  text: string;
}

/** User settings the service keeps. */
export interface Settings {
  theme: 'system' | 'light' | 'dark';
  /** Desktop app only (absent in the web dashboard): start Porthole when the user logs in. */
  launchAtLogin?: boolean;
  /** Desktop app only: start in the tray without opening the window. */
  startMinimised?: boolean;
  /**
   * The built-in local portal also listens on the network (off by default: loopback only). Anyone
   * on the network can then reach every exposure it serves.
   */
  localPortalLan?: boolean;
  /** With `localPortalLan`: listen on this LAN address only; null or absent: on all (0.0.0.0). */
  localPortalLanAddress?: string | null;
}
