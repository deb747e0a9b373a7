/**
 * Serves `GET /metrics` in Prometheus' text format. On loopback anyone on this machine may read it
 * unless a token is set; elsewhere a token is required (`Authorization: Bearer <token>`), so
 * traffic figures and exposure names never reach the network unasked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isLoopbackHost, tokensMatch } from '../dashboard/token-gate.js';
import type { EngineMetrics } from './registry.js';

export interface MetricsServerOptions {
  metrics: EngineMetrics;
  host: string;
  port: number;
  /** Required when `host` is not loopback. */
  token?: string | undefined;
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics, host, token } = options;
  if (!token && !isLoopbackHost(host)) {
    throw new Error(`metrics on ${host}: other machines could read them there, so a token is required`);
  }
  const server = createServer((request, response) => void answer(request, response, metrics, token));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/metrics`,
    port,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function answer(request: IncomingMessage, response: ServerResponse, metrics: EngineMetrics, token: string | undefined): Promise<void> {
  const path = (request.url ?? '/').split('?')[0];
  if (path !== '/metrics') return plain(response, 404, 'not found: metrics are at /metrics\n');
  if (request.method !== 'GET' && request.method !== 'HEAD') return plain(response, 405, 'only GET\n');
  if (token) {
    const header = request.headers.authorization;
    const given = header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
    if (!tokensMatch(given, token)) {
      response.setHeader('WWW-Authenticate', 'Bearer realm="porthole metrics"');
      return plain(response, 401, 'a token is required: send Authorization: Bearer <token>\n');
    }
  }
  try {
    const text = await metrics.scrape();
    response.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'Cache-Control': 'no-store' });
    response.end(request.method === 'HEAD' ? undefined : text);
  } catch (error) {
    plain(response, 500, `metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

function plain(response: ServerResponse, status: number, text: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  response.end(text);
}
