/**
 * A real nginx (Debian's) for the tests of the deployment most guides describe: nginx terminates
 * TLS and proxies one WebSocket path to a server on loopback. It runs in the foreground
 * (`daemon off`) with everything it writes (pid, error log, temp folders) in a fresh temp folder
 * and listens on an ephemeral 127.0.0.1 port, so no root is needed (run as root, its workers drop
 * to nobody, as nginx does by default).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { superviseProcess } from '../../../../../test/support/v2ray.js';

/** `NGINX_BINARY`, else `nginx` on PATH, else Debian's `/usr/sbin/nginx` (not on a user's PATH). */
function nginxBinary(): string | undefined {
  const candidates = [process.env.NGINX_BINARY, 'nginx', '/usr/sbin/nginx'].filter((name): name is string => name !== undefined && name !== '');
  return candidates.find((name) => spawnSync(name, ['-v'], { stdio: 'ignore' }).status === 0);
}

const binary = nginxBinary();

/** True when nginx runs here (CI installs it; see .ci/run). */
export function nginxAvailable(): boolean {
  return binary !== undefined;
}

export interface WebSocketProxyOptions {
  /** The port nginx listens on with TLS (127.0.0.1). */
  listenPort: number;
  certFile: string;
  keyFile: string;
  /** The location proxied, e.g. "/link". */
  path: string;
  /** Where the location goes: http://127.0.0.1:upstreamPort. */
  upstreamPort: number;
  /** `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for` (most guides set it). */
  forwardedFor: boolean;
  /** `proxy_bind`: the local address nginx connects to the upstream from (so the upstream can tell nginx from the client). */
  bindAddress?: string;
}

export interface RunningNginx {
  child: ChildProcess;
  /** nginx's error log and its own output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** The config: the guides' `location` block, with every path nginx writes moved into `folder`. */
export function webSocketProxyConfig(folder: string, options: WebSocketProxyOptions): string {
  const temp = (name: string) => `${name}_temp_path ${join(folder, name)};`;
  return `daemon off;
worker_processes 1;
pid ${join(folder, 'nginx.pid')};
error_log ${join(folder, 'error.log')} info;
events { worker_connections 256; }
http {
  access_log off;
  ${temp('client_body')}
  ${temp('proxy')}
  ${temp('fastcgi')}
  ${temp('uwsgi')}
  ${temp('scgi')}
  server {
    listen 127.0.0.1:${options.listenPort} ssl;
    server_name _;
    ssl_certificate ${options.certFile};
    ssl_certificate_key ${options.keyFile};
    location ${options.path} {
      proxy_pass http://127.0.0.1:${options.upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_set_header Host $host;
${options.forwardedFor ? '      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n' : ''}${options.bindAddress ? `      proxy_bind ${options.bindAddress};\n` : ''}      proxy_read_timeout 300s;
    }
  }
}
`;
}

/** Starts nginx with `webSocketProxyConfig`; the caller waits for `listenPort`. */
export function startWebSocketProxy(options: WebSocketProxyOptions): RunningNginx {
  if (binary === undefined) throw new Error('nginx is not installed');
  const folder = mkdtempSync(join(tmpdir(), 'porthole-nginx-'));
  // Workers that dropped to nobody (nginx run as root) must reach their temp folders.
  chmodSync(folder, 0o755);
  const configFile = join(folder, 'nginx.conf');
  writeFileSync(configFile, webSocketProxyConfig(folder, options));
  // -e: the error log before the config is read (else nginx opens /var/log/nginx/error.log first).
  const child = spawn(binary, ['-p', folder, '-c', configFile, '-e', join(folder, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const errorLog = () => {
    try {
      return readFileSync(join(folder, 'error.log'), 'utf8');
    } catch {
      return '';
    }
  };
  // SIGTERM is nginx's fast shutdown (workers too).
  return superviseProcess(child, folder, errorLog);
}
