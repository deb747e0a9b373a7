/**
 * Names for a V2Ray portal (Server setup → Names). V2Ray cannot route by name, so Caddy or nginx
 * on the server does: one site per exposure, `https://<label>.<domain>`, passed to that
 * exposure's dokodemo-door port on 127.0.0.1. Caddy gets its certificates itself; nginx uses
 * certbot's, one per name. Pure: names in, texts out (docs/public-names.md, "With a V2Ray portal").
 */
import type { SetupFile, SetupName } from '../api/index.js';
import { ServiceError } from '../api/index.js';

/** A DNS name of at least two labels, short enough for a 63-character label in front (253 in all); nginx and Caddy take it unquoted. */
const DOMAIN = /^(?=.{1,189}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Caddy reads this file through one `import` line in its main Caddyfile. */
export const CADDY_NAMES_FILE = '/etc/caddy/porthole-names.caddy';
const NGINX_NAMES_FILE = 'porthole-names.nginx.conf';

/** The names domain the user typed, lower case, or one clear line naming the field. */
export function checkedNamesDomain(value: string): string {
  const domain = value.trim().toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  if (domain.length > 189) throw new ServiceError('PH_SETUP_BAD_INPUT', `names domain "${domain.slice(0, 40)}…" is ${domain.length} characters: at most 189, so that <label>.<domain> fits DNS's 253`);
  if (!DOMAIN.test(domain)) {
    throw new ServiceError('PH_SETUP_BAD_INPUT', `names domain "${value.trim()}" is not a domain name: give one whose every name points at the server, e.g. tunnel.example.com or 203-0-113-5.sslip.io`);
  }
  return domain;
}

/** The Caddy site blocks: automatic HTTPS per name, X-Forwarded-* as Caddy sets them, WebSocket and SSE streamed. */
export function caddyNames(profile: string, domain: string, names: readonly SetupName[]): SetupFile {
  const text = [
    `# Porthole names for profile "${profile}": https://<name>.${domain}, one site per exposure.`,
    '# Caddy gets each certificate itself (ports 80 and 443 open) and sets X-Forwarded-For, -Proto and',
    '# -Host; WebSocket and server-sent events stream through. Each port is a dokodemo-door inbound of',
    '# the V2Ray portal on 127.0.0.1, so only these names reach it from outside.',
    ...names.flatMap((name) => [
      '',
      `# ${name.name}`,
      `${name.host} {`,
      `\treverse_proxy 127.0.0.1:${name.port}`,
      '}',
    ]),
    '',
  ].join('\n');
  const importLine = `import ${CADDY_NAMES_FILE}`;
  return {
    fileName: 'porthole-names.caddy',
    text,
    // Adds the import line once, then checks the whole Caddyfile before reloading.
    command: `sudo cp porthole-names.caddy ${CADDY_NAMES_FILE} && (grep -qxF '${importLine}' /etc/caddy/Caddyfile || echo '${importLine}' | sudo tee -a /etc/caddy/Caddyfile >/dev/null) && sudo caddy validate --config /etc/caddy/Caddyfile --adapter caddyfile && sudo systemctl reload caddy`,
  };
}

/** Where certbot puts the certificate for `host`. */
export function certbotFiles(host: string): { certificateFile: string; keyFile: string } {
  return { certificateFile: `/etc/letsencrypt/live/${host}/fullchain.pem`, keyFile: `/etc/letsencrypt/live/${host}/privkey.pem` };
}

/**
 * certbot's nginx plugin answers the HTTP-01 challenge through the running nginx, one certificate
 * per name (so each lives at /etc/letsencrypt/live/<name>/); certbot keeps the hook, so renewals
 * reload nginx too.
 */
export function certbotCommand(names: readonly SetupName[]): string {
  const orders = names.map((name) => `sudo certbot certonly --nginx --cert-name ${name.host} -d ${name.host} --deploy-hook 'systemctl reload nginx'`);
  return ['sudo apt install certbot python3-certbot-nginx', ...orders].join(' && ');
}

/** nginx: a port-80 server for ACME and the redirect, then one TLS server per name. */
export function nginxNames(profile: string, domain: string, names: readonly SetupName[]): SetupFile {
  const hosts = names.map((name) => name.host);
  const command = `sudo cp ${NGINX_NAMES_FILE} /etc/nginx/conf.d/ && sudo nginx -t && sudo systemctl reload nginx`;
  // An empty server_name does not load: without exposures the file says so and serves nothing.
  if (names.length === 0) return { fileName: NGINX_NAMES_FILE, text: `# Porthole names for profile "${profile}" under ${domain}: no exposures yet; each one added gets a server here.\n`, command };
  const text = [
    `# Porthole names for profile "${profile}": https://<name>.${domain}, one server per exposure.`,
    `# Goes inside http { } (e.g. /etc/nginx/conf.d/${NGINX_NAMES_FILE}); the certificates come`,
    '# from certbot first (nginx does not load without them). Each port is a dokodemo-door inbound of',
    '# the V2Ray portal on 127.0.0.1, so only these names reach it from outside.',
    '',
    '# WebSocket upgrades pass through; other requests may reuse the connection.',
    'map $http_upgrade $porthole_connection {',
    '    default upgrade;',
    "    ''      close;",
    '}',
    '',
    '# Port 80: certbot\'s challenges (its nginx plugin adds them here), everything else to HTTPS.',
    'server {',
    '    listen 80;',
    `    server_name ${hosts.join(' ')};`,
    '    location / {',
    '        return 308 https://$host$request_uri;',
    '    }',
    '}',
    ...names.flatMap((name) => {
      const files = certbotFiles(name.host);
      return [
        '',
        `# ${name.name}`,
        'server {',
        '    listen 443 ssl;',
        `    server_name ${name.host};`,
        `    ssl_certificate ${files.certificateFile};`,
        `    ssl_certificate_key ${files.keyFile};`,
        '    # nginx hands names it does not know to its first server: only this name reaches the exposure.',
        `    if ($host != ${name.host}) {`,
        '        return 421;',
        '    }',
        '',
        '    location / {',
        `        proxy_pass http://127.0.0.1:${name.port};`,
        '        proxy_http_version 1.1;',
        '        proxy_set_header Host $host;',
        '        proxy_set_header Upgrade $http_upgrade;',
        '        proxy_set_header Connection $porthole_connection;',
        '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
        '        proxy_set_header X-Forwarded-Proto $scheme;',
        '        proxy_set_header X-Forwarded-Host $host;',
        '        proxy_set_header X-Real-IP $remote_addr;',
        '        # Server-sent events and long downloads go out as they come.',
        '        proxy_buffering off;',
        '        # WebSockets and event streams stay open while quiet.',
        '        proxy_read_timeout 1h;',
        '        proxy_send_timeout 1h;',
        '    }',
        '}',
      ];
    }),
    '',
  ].join('\n');
  return { fileName: NGINX_NAMES_FILE, text, command };
}
