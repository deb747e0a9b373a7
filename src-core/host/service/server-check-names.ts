/**
 * Server setup's Check for names behind a V2Ray portal: each `https://<label>.<domain>` is asked
 * for `/` as a visitor would (DNS, the certificate checked, Caddy or nginx on 443, then V2Ray's
 * loopback port and the bridge), and what failed is said in the user's terms. Any answer but a
 * gateway error counts: it came from the service, through the portal.
 */
import https from 'node:https';
import type { ServerCheckStep, SetupName } from '../api/index.js';

export interface NameCheckOptions {
  timeoutMs: number;
  /** Tests: the port Caddy/nginx listen on (default 443). */
  port?: number;
  /** Tests: connect here instead of where DNS says, still sending the name (SNI and Host). */
  address?: string;
  /** Tests: certificates to trust besides the system's. */
  ca?: string[];
}

const CERTIFICATE_ERRORS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/;

/** The first answer to `GET /` at `https://host`, or the error it ended with. */
function ask(host: string, options: NameCheckOptions): Promise<{ status: number } | { error: Error & { code?: string } }> {
  return new Promise((resolve) => {
    const request = https.request({
      host: options.address ?? host, servername: host, port: options.port ?? 443, path: '/', method: 'GET',
      headers: { host, 'user-agent': 'porthole-check', connection: 'close' }, ...(options.ca ? { ca: options.ca } : {}), agent: false,
      timeout: options.timeoutMs,
    }, (response) => {
      resolve({ status: response.statusCode ?? 0 });
      response.destroy();
    });
    request.once('timeout', () => request.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    request.once('error', (error: Error & { code?: string }) => resolve({ error }));
    request.end();
  });
}

/** One exposure's name: a line that says it answers, or why not. */
export async function checkName(target: SetupName, local: string, options: NameCheckOptions): Promise<ServerCheckStep> {
  const title = `exposure ${target.name} → ${target.url}`;
  const step = (state: 'ok' | 'failed', suffix: string, detail: string): ServerCheckStep => ({ kind: 'exposure', state, title: `${title}${suffix}`, detail, exposureId: target.exposureId });
  const answer = await ask(target.host, options);
  if ('status' in answer) {
    if (answer.status === 502 || answer.status === 503 || answer.status === 504) {
      return step('failed', ' does not reach the service', `Caddy or nginx answers ${answer.status}: nothing came back from 127.0.0.1:${target.port}. Is V2Ray running with this config, a bridge linked, and ${local} answering here?`);
    }
    if (answer.status === 421) return step('failed', ' is not served', `nginx does not know ${target.host}: put the names config in place and reload nginx`);
    return step('ok', ` reaches ${local}`, `answered HTTP ${answer.status} over HTTPS`);
  }
  const { code = '', message } = answer.error;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return step('failed', ' does not resolve', `DNS has no address for ${target.host}: point *.${target.host.slice(target.host.indexOf('.') + 1)} at the server (sslip.io names resolve by themselves)`);
  if (code === 'ECONNREFUSED') return step('failed', ' is refused', `nothing listens on port ${options.port ?? 443} at ${target.host}: is Caddy or nginx running there?`);
  if (code === 'ETIMEDOUT') return step('failed', ' does not answer', `no answer on port ${options.port ?? 443}: open 80 and 443 in the server's firewall`);
  if (CERTIFICATE_ERRORS.test(code)) return step('failed', ': certificate not trusted', `${message} (${code}): Caddy gets it within a minute of starting; for nginx, run the certbot command`);
  if (/SSL|TLS/.test(code) || /alert|handshake/i.test(message)) return step('failed', ': no certificate for this name', `the TLS handshake failed (${message}): Caddy or nginx has no site for ${target.host} yet`);
  return step('failed', ' fails', `${message}${code ? ` (${code})` : ''}`);
}
