/**
 * Server setup (Profiles → Server setup): from a bridge profile and the exposures, the portal-side
 * config that matches it, for a server running V2Ray (every exposure becomes a dokodemo-door
 * inbound, since V2Ray cannot open ports on request) or Porthole headless (the same, plus a port
 * range so one-click exposures need no further edits). Pure: config in, texts out.
 *
 * The link is VMess or VLESS, as the bridge's outbound is, and goes over plain TCP, TLS, WebSocket,
 * or WebSocket + TLS with TLS ended by nginx or Caddy in front of the portal (the usual
 * deployment): the user picks one, and the portal config, the proxy configs and the bridge profile
 * returned all say the same path, serverName and TLS. The install steps open exactly the ports the
 * configs use.
 *
 * Names (`namesDomain`): V2Ray cannot route by name, so Caddy or nginx maps `<label>.<domain>` to
 * each exposure's dokodemo-door port, which then listens on loopback only (server-setup-names.ts).
 */
import type { Exposure, ServerSetup, ServerSetupOptions, SetupFile, SetupInstall, SetupName, SetupNames, SetupPublicPort, SetupTransport } from '../api/index.js';
import { defaultExposureLabel, ServiceError } from '../api/index.js';
import { caddyNames, certbotCommand, checkedNamesDomain, nginxNames } from './server-setup-names.js';
import { bridgeUplink, isServerUplink } from '../../engine/app/reverse/uplink.js';
import { defaultPublicPort } from '../../engine/app/exposures/exposure-agent.js';
import { exportV2RayConfig, type PortholeConfig } from '../../engine/config/index.js';
import type { StreamSettings } from '../../engine/config/types.js';
import { parseAddress } from '../../engine/common/net.js';

/** The range a Porthole portal offers when the user has not chosen one. */
export const SETUP_EXPOSURE_RANGE = '20000-20099';
/** The WebSocket path offered when the profile has none. */
export const SETUP_DEFAULT_PATH = '/porthole';
/** Where the portal listens behind nginx/Caddy unless told otherwise. */
export const SETUP_DEFAULT_PORTAL_PORT = 10000;

const PORTAL_TAG = 'portal';
const INTERCONN_TAG = 'interconn';

type Json = Record<string, unknown>;

function isLoopback(host: string): boolean {
  const address = parseAddress(host);
  return (address.kind === 'ipv4' && address.value.startsWith('127.')) || (address.kind === 'ipv6' && address.value === '::1') || host === 'localhost';
}

/** `My web app` → `exposure-my-web-app`, unique among `taken`. */
function inboundTagFor(exposure: Exposure, taken: Set<string>): string {
  const slug = exposure.name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || exposure.id;
  let tag = `exposure-${slug}`;
  for (let suffix = 2; taken.has(tag); suffix += 1) tag = `exposure-${slug}-${suffix}`;
  taken.add(tag);
  return tag;
}

/** The transport a profile's link outbound uses now. */
export function transportOf(stream: StreamSettings | undefined): SetupTransport {
  const tls = stream?.security === 'tls';
  if (stream?.network === 'websocket') return tls ? 'ws-tls' : 'ws';
  return tls ? 'tls' : 'tcp';
}

const isTls = (kind: SetupTransport) => kind === 'tls' || kind === 'ws-tls';
const isWs = (kind: SetupTransport) => kind === 'ws' || kind === 'ws-tls';

/** A DNS name a certificate can carry (nginx's `server_name` and Caddy's site address take it as is). */
const SERVER_NAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A path nginx and Caddy take unquoted, and V2Ray compares exactly. */
const WS_PATH = /^\/[A-Za-z0-9._~/-]{0,199}$/;
/** A server-side file name written into nginx's and Caddy's configs unquoted. */
const FILE_PATH = /^\/[A-Za-z0-9._~/@+-]{1,1023}$/;

function badInput(message: string): never {
  throw new ServiceError('PH_SETUP_BAD_INPUT', message);
}

function checkedServerName(value: string | undefined, profileValue: string | undefined, address: string): string {
  const fallback = parseAddress(address).kind === 'domain' && address !== 'localhost' ? address : undefined;
  const name = (value?.trim() || profileValue || fallback || '').toLowerCase();
  if (!name) badInput(`TLS needs a server name: the domain name on the server's certificate (e.g. vps.example.com); the bridge dials ${address}, which is not one`);
  if (!SERVER_NAME.test(name)) badInput(`server name "${name}" is not a domain name: give the name on the server's certificate, e.g. vps.example.com`);
  return name;
}

function checkedPath(value: string | undefined, profileValue: string | undefined): string {
  const raw = value?.trim() || profileValue || SETUP_DEFAULT_PATH;
  const path = raw.startsWith('/') ? raw : `/${raw}`;
  if (!WS_PATH.test(path)) badInput(`WebSocket path "${raw}" has characters nginx or Caddy would need quoted: use letters, digits and . _ ~ - / (e.g. ${SETUP_DEFAULT_PATH})`);
  return path;
}

function checkedFile(value: string, what: string): string {
  if (!FILE_PATH.test(value)) badInput(`${what} "${value}" should be an absolute path on the server without spaces or quotes (e.g. /etc/letsencrypt/live/vps.example.com/fullchain.pem)`);
  return value;
}

/** The 4.34 `streamSettings` of the portal's link inbound (TLS is nginx's or Caddy's for `ws-tls`). */
function inboundStream(kind: SetupTransport, path: string | null, certificateFile: string | null, keyFile: string | null): Json | undefined {
  if (kind === 'tls') return { network: 'tcp', security: 'tls', tlsSettings: { certificates: [{ certificateFile, keyFile }] } };
  if (kind === 'ws' || kind === 'ws-tls') return { network: 'ws', security: 'none', wsSettings: { path } };
  return undefined;
}

/**
 * The bridge outbound's `streamSettings` for `kind`. What the profile already says about TLS
 * (certificates it trusts, alpn, allowInsecure) and WebSocket headers is kept.
 */
function outboundStream(kind: SetupTransport, serverName: string | null, path: string | null, address: string, current: Json | undefined): Json | undefined {
  if (kind === 'tcp') return undefined;
  const tls = { ...((current?.tlsSettings as Json | undefined) ?? {}), serverName };
  const ws: Json = { ...((current?.wsSettings as Json | undefined) ?? {}), path };
  // nginx and Caddy pick the site by the Host header: a bridge dialling an IP address must name the site.
  if (kind === 'ws-tls' && serverName && address.toLowerCase() !== serverName) {
    const headers = Object.fromEntries(Object.entries((ws.headers as Record<string, string> | undefined) ?? {}).filter(([key]) => key.toLowerCase() !== 'host'));
    ws.headers = { ...headers, Host: serverName };
  }
  return {
    network: isWs(kind) ? 'ws' : 'tcp',
    security: isTls(kind) ? 'tls' : 'none',
    ...(isTls(kind) ? { tlsSettings: tls } : {}),
    ...(isWs(kind) ? { wsSettings: ws } : {}),
  };
}

function nginxSite(profile: string, serverName: string, port: number, path: string, portalPort: number, certificateFile: string, keyFile: string): SetupFile {
  const text = [
    `# Porthole portal for profile "${profile}": nginx ends TLS for ${serverName}:${port} and hands the`,
    `# WebSocket at ${path} to the portal on 127.0.0.1:${portalPort}. Goes inside http { } (e.g. /etc/nginx/conf.d/).`,
    'server {',
    `    listen ${port} ssl;`,
    `    server_name ${serverName};`,
    `    ssl_certificate ${certificateFile};`,
    `    ssl_certificate_key ${keyFile};`,
    '',
    `    location = ${path} {`,
    `        proxy_pass http://127.0.0.1:${portalPort};`,
    '        proxy_http_version 1.1;',
    '        proxy_set_header Upgrade $http_upgrade;',
    '        proxy_set_header Connection "upgrade";',
    '        # nginx picks this server by SNI and Host: a bridge dialling by IP address must send Host: the name above.',
    '        proxy_set_header Host $host;',
    '        # Bridge links stay open for days: do not cut them after 60 s of quiet.',
    '        proxy_read_timeout 1d;',
    '        proxy_send_timeout 1d;',
    '        proxy_buffering off;',
    '    }',
    '',
    '    location / {',
    '        return 404;',
    '    }',
    '}',
    '',
  ].join('\n');
  return { fileName: 'porthole-portal.nginx.conf', text, command: 'sudo cp porthole-portal.nginx.conf /etc/nginx/conf.d/ && sudo nginx -t && sudo systemctl reload nginx' };
}

function caddySite(profile: string, serverName: string, port: number, path: string, portalPort: number, files: { certificateFile: string; keyFile: string } | null): SetupFile {
  const text = [
    `# Porthole portal for profile "${profile}": Caddy ends TLS for ${serverName}${files ? '' : ' (it gets the certificate itself)'} and`,
    `# hands the WebSocket at ${path} to the portal on 127.0.0.1:${portalPort}. A site block for /etc/caddy/Caddyfile.`,
    `${serverName}${port === 443 ? '' : `:${port}`} {`,
    ...(files ? [`\ttls ${files.certificateFile} ${files.keyFile}`] : []),
    `\thandle ${path} {`,
    '\t\t# Caddy picks the site by SNI and the Host header: a bridge dialling the server by IP address',
    `\t\t# must send Host: ${serverName} (the bridge profile of Server setup does). It is passed on as is.`,
    `\t\treverse_proxy 127.0.0.1:${portalPort} {`,
    '\t\t\theader_up Host {host}',
    '\t\t}',
    '\t}',
    '\thandle {',
    '\t\trespond 404',
    '\t}',
    '}',
    '',
  ].join('\n');
  return { fileName: 'Caddyfile', text, command: 'caddy validate --config Caddyfile --adapter caddyfile && sudo systemctl reload caddy' };
}

export function serverSetup(profile: string, config: PortholeConfig, exposures: readonly Exposure[], options: ServerSetupOptions = {}): ServerSetup {
  const bridge = config.reverse.bridges[0];
  if (!bridge) throw new ServiceError('PH_SETUP_NO_BRIDGE', `profile "${profile}" has no bridge (reverse.bridges): Server setup matches a bridge to its portal`);
  const uplink = bridgeUplink(config, bridge);
  if (!isServerUplink(uplink)) {
    throw new ServiceError('PH_SETUP_NO_BRIDGE', `bridge "${bridge.tag}" of profile "${profile}" does not link through a VMess or VLESS outbound, so there is no server to set up`);
  }
  const { server } = uplink;
  const protocolName = uplink.kind === 'vless' ? 'VLESS' : 'VMess';
  const user = server.users[0];
  if (!user) throw new ServiceError('PH_SETUP_NO_BRIDGE', `the ${protocolName} outbound "${uplink.tag}" has no user`);
  // VLESS 4.34 has no encryption and the inbound must say so; VMess users must agree on alterId.
  const linkSettings = uplink.kind === 'vless'
    ? { clients: [{ id: user.id }], decryption: 'none' }
    : { clients: [{ id: user.id, alterId: uplink.server.users[0]?.alterId ?? 0 }] };

  // What the user picked, each choice defaulting to what the profile says now.
  const stream = uplink.outbound.streamSettings;
  const current = transportOf(stream);
  const kind = options.transport ?? current;
  const serverName = isTls(kind) ? checkedServerName(options.serverName, stream?.tls?.serverName, server.address) : null;
  const path = isWs(kind) ? checkedPath(options.path, stream?.ws?.path) : null;
  const port = options.port ?? (kind === 'ws-tls' && current !== 'ws-tls' ? 443 : server.port);
  const behindProxy = kind === 'ws-tls';
  const portalPort = behindProxy ? options.portalPort ?? (port === SETUP_DEFAULT_PORTAL_PORT ? SETUP_DEFAULT_PORTAL_PORT + 1 : SETUP_DEFAULT_PORTAL_PORT) : port;
  if (behindProxy && portalPort === port) badInput(`the portal's loopback port ${portalPort} is the port nginx or Caddy listens on: pick another`);
  const ownCertificate = options.certificateFile !== undefined || options.keyFile !== undefined;
  const certificateFile = serverName ? checkedFile(options.certificateFile ?? `/etc/letsencrypt/live/${serverName}/fullchain.pem`, 'certificate file') : null;
  const keyFile = serverName ? checkedFile(options.keyFile ?? `/etc/letsencrypt/live/${serverName}/privkey.pem`, 'key file') : null;

  const listen = behindProxy || isLoopback(server.address) ? { listen: '127.0.0.1' } : {};
  const linkStream = inboundStream(kind, path, certificateFile, keyFile);

  const taken = new Set([INTERCONN_TAG]);
  const labels = new Set<string>();
  const published = exposures.filter((exposure) => exposure.enabled).map((exposure) => ({
    exposure,
    tag: inboundTagFor(exposure, taken),
    publicPort: v2rayPublicPort(exposure),
    label: uniqueLabel(exposure, labels),
  }));
  // Public ports stay public even when the link inbound hides behind nginx/Caddy on loopback.
  const publicListen = isLoopback(server.address) ? { listen: '127.0.0.1' } : {};
  const domain = options.namesDomain?.trim() ? checkedNamesDomain(options.namesDomain) : null;
  // Behind names, only Caddy/nginx on the server reach the dokodemo ports (a Porthole portal serves names itself).
  const v2rayListen = domain ? { listen: '127.0.0.1' } : publicListen;
  const names: SetupNames | null = domain ? namesFor(profile, domain, published.map(({ exposure, label, publicPort }) => ({
    exposureId: exposure.id, name: exposure.name, host: `${label}.${domain}`, url: `https://${label}.${domain}`, port: publicPort,
  }))) : null;

  const portalConfig = (extension: Record<string, unknown>, exposureListen: { listen?: string }) => ({
    log: { loglevel: 'warning' },
    reverse: { portals: [{ tag: PORTAL_TAG, domain: bridge.domain, ...extension }] },
    inbounds: [
      {
        tag: INTERCONN_TAG,
        ...listen,
        port: portalPort,
        protocol: uplink.kind,
        settings: linkSettings,
        ...(linkStream ? { streamSettings: linkStream } : {}),
      },
      ...published.map(({ exposure, tag, publicPort }) => ({
        tag,
        ...exposureListen,
        port: publicPort,
        protocol: 'dokodemo-door',
        // The bridge recognises its exposure by this address (the local service it exposes).
        settings: { address: exposure.localHost, port: exposure.localPort, network: 'tcp' },
      })),
    ],
    routing: {
      rules: [{ type: 'field', inboundTag: [INTERCONN_TAG, ...published.map(({ tag }) => tag)], outboundTag: PORTAL_TAG }],
    },
  });

  // The bridge profile that matches: the saved one, its link outbound pointed at the same port with the same transport.
  const exported = exportV2RayConfig(config) as { outbounds: Json[] };
  const changed = kind !== current || port !== server.port || (serverName !== null && serverName !== stream?.tls?.serverName) || (path !== null && path !== stream?.ws?.path);
  const index = config.outbounds.indexOf(uplink.outbound);
  const outbound = exported.outbounds[index];
  if (outbound) {
    const vnext = (outbound.settings as { vnext: Json[] }).vnext[0];
    if (vnext) vnext.port = port;
    const streamSettings = outboundStream(kind, serverName, path, server.address, outbound.streamSettings as Json | undefined);
    delete outbound.streamSettings;
    if (streamSettings) outbound.streamSettings = streamSettings;
  }
  const bridgeText = `${JSON.stringify(exported, null, 2)}\n`;

  const over = { tcp: 'over TCP', tls: `over TLS for ${serverName}`, ws: `over WebSocket at ${path}`, 'ws-tls': `over WebSocket at ${path}, TLS ended by nginx or Caddy for ${serverName}` }[kind];
  const via = `${protocolName} ${over}`;
  const portholeExtension = { exposures: { ports: SETUP_EXPOSURE_RANGE, ...(publicListen.listen ? { listen: publicListen.listen } : {}) } };
  const header = (what: string) => `// Portal for profile "${profile}" (${what}). The bridge dials ${server.address}:${port}: ${via}.\n`;
  return {
    profile,
    serverAddress: `${server.address}:${port}`,
    transport: {
      kind,
      serverName,
      path,
      portalListen: `${listen.listen ?? '0.0.0.0'}:${portalPort}`,
      certificateFile,
      keyFile,
      current,
    },
    v2ray: {
      fileName: 'v2ray-portal.json',
      text: `${JSON.stringify(portalConfig({}, v2rayListen), null, 2)}\n`,
      command: 'v2ray -config v2ray-portal.json',
    },
    porthole: {
      fileName: 'porthole-portal.json',
      text: `${header(`Porthole headless; bridges may ask for public ports ${SETUP_EXPOSURE_RANGE}`)}${JSON.stringify(portalConfig(portholeExtension, publicListen), null, 2)}\n`,
      command: 'porthole run -c porthole-portal.json',
    },
    bridge: { fileName: `${profile}.json`, text: bridgeText, changed },
    proxies: behindProxy && serverName && path && certificateFile && keyFile ? {
      nginx: nginxSite(profile, serverName, port, path, portalPort, certificateFile, keyFile),
      caddy: caddySite(profile, serverName, port, path, portalPort, ownCertificate ? { certificateFile, keyFile } : null),
    } : null,
    exposures: published.map(({ exposure, publicPort, label }) => domain
      ? `https://${label}.${domain} → 127.0.0.1:${publicPort} → ${exposure.localHost}:${exposure.localPort} (${exposure.name})`
      : `${server.address}:${publicPort} → ${exposure.localHost}:${exposure.localPort} (${exposure.name})`),
    protocol: uplink.kind,
    publicPorts: published.map(({ exposure, publicPort }): SetupPublicPort => ({ exposureId: exposure.id, name: exposure.name, port: publicPort, local: `${exposure.localHost}:${exposure.localPort}` })),
    install: installSteps({ linkPort: port, exposurePorts: published.map(({ publicPort }) => publicPort), tlsKey: kind === 'tls' ? keyFile : null, behindProxy, names: domain !== null }),
    names,
  };
}

/** The exposure's label (the app's default when it has none), unique among `taken`. */
function uniqueLabel(exposure: Exposure, taken: Set<string>): string {
  const label = exposure.label && !taken.has(exposure.label) ? exposure.label : defaultExposureLabel(exposure.label ?? exposure.name, exposure.localPort, taken);
  taken.add(label);
  return label;
}

function namesFor(profile: string, domain: string, names: SetupName[]): SetupNames {
  return { domain, names, caddy: caddyNames(profile, domain, names), nginx: nginxNames(profile, domain, names), certbot: certbotCommand(names) };
}

/**
 * The public port a V2Ray portal's dokodemo-door gets for `exposure`: the one the app shows for it
 * (the exposure agent's `setup-needed` address follows the same rule).
 */
export function v2rayPublicPort(exposure: Pick<Exposure, 'publicPort' | 'localPort'>): number {
  return exposure.publicPort ?? defaultPublicPort(exposure.localPort);
}

/** Where Debian's and Ubuntu's `v2ray` package reads its config, and what its unit runs. */
export const V2RAY_CONFIG_PATH = '/etc/v2ray/config.json';
const V2RAY_BINARY = '/usr/bin/v2ray';
const V2FLY_SCRIPT = 'https://raw.githubusercontent.com/v2fly/fhs-install-v2ray/master/install-release.sh';

/** A unit for a V2Ray installed by hand (the package and the v2fly script bring their own). */
function v2rayUnit(): SetupFile {
  const text = [
    '[Unit]',
    'Description=V2Ray portal for Porthole bridges',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'User=nobody',
    '# Public ports below 1024 (e.g. 443) need this; nothing else does.',
    'CapabilityBoundingSet=CAP_NET_BIND_SERVICE',
    'AmbientCapabilities=CAP_NET_BIND_SERVICE',
    'NoNewPrivileges=true',
    `ExecStart=${V2RAY_BINARY} -config ${V2RAY_CONFIG_PATH}`,
    'Restart=on-failure',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  return { fileName: 'v2ray.service', text, command: 'sudo cp v2ray.service /etc/systemd/system/ && sudo systemctl daemon-reload' };
}

/** Install, config, test, service and firewall, for exactly the ports the configs use. */
export function installSteps(input: { linkPort: number; exposurePorts: readonly number[]; tlsKey: string | null; behindProxy: boolean; names?: boolean }): SetupInstall {
  // With names, visitors come through Caddy/nginx on 80 (ACME, redirect) and 443; the raw ports stay closed.
  const ports = [...new Set([input.linkPort, ...(input.names ? [80, 443] : input.exposurePorts)])];
  const ufw = ports.map((port) => `sudo ufw allow ${port}/tcp`).join(' && ');
  const firewalld = `sudo firewall-cmd --permanent ${ports.map((port) => `--add-port=${port}/tcp`).join(' ')} && sudo firewall-cmd --reload`;
  const which = ports.length === 1 ? 'the port' : `the ${ports.length} ports`;
  const linkSide = input.behindProxy ? 'the link (nginx or Caddy)' : 'the link';
  const visitors = input.names ? ', then 80 and 443 for the names (Caddy or nginx; the exposures’ ports stay on loopback)' : input.exposurePorts.length > 0 ? ', then each exposure’s public port' : '; no exposures yet';
  const what = `TCP ${ports.join(', ')}: ${linkSide}${visitors}.`;
  // Caddy gets its certificate over port 80 or 443 (ACME), which the link alone may not open.
  const acme = input.behindProxy && !input.names && input.linkPort !== 443 ? ' Caddy getting its own certificate also needs 80 or 443.' : '';
  return {
    ports,
    steps: [
      {
        id: 'install',
        title: 'Install V2Ray',
        command: 'sudo apt install v2ray',
        note: 'Debian 11+ and Ubuntu 22.04+.',
        // The script installs v5 unless told otherwise; v4's last release reads this config and takes `-test -config`.
        alternative: { label: 'Elsewhere, the v2fly script, pinned to V2Ray 4 (it puts the config in /usr/local/etc/v2ray/config.json and the binary in /usr/local/bin):', command: `sudo bash -c "$(curl -fsSL ${V2FLY_SCRIPT})" @ --version v4.45.2` },
      },
      { id: 'config', title: 'Put the config in place', command: `sudo cp v2ray-portal.json ${V2RAY_CONFIG_PATH}` },
      { id: 'test', title: 'Test the config', command: `v2ray -test -config ${V2RAY_CONFIG_PATH}`, note: 'It says “Configuration OK.”, or names what to fix.' },
      {
        id: 'service',
        title: 'Run it as a service',
        command: 'sudo systemctl enable --now v2ray && sudo systemctl restart v2ray',
        note: `The package brings its unit; without one, add this file first.${input.tlsKey ? ` The service runs as nobody: it must be able to read ${input.tlsKey}.` : ''}`,
        file: v2rayUnit(),
      },
      { id: 'firewall-ufw', title: `Open ${which} (ufw)`, command: ufw, note: `${what}${acme}` },
      { id: 'firewall-firewalld', title: `Open ${which} (firewalld)`, command: firewalld },
    ],
  };
}
