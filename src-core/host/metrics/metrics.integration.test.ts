/**
 * `/metrics` over a real portal and bridge in this process: traffic through the public port and
 * a bad handshake on the link port, then the text scraped over HTTP and parsed line by line.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPair, type RunningPair } from '../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../test/support/upstream.js';
import { waitUntil } from '../../../test/support/ports.js';
import type { Instance } from '../../engine/instance.js';
import { createEngineMetrics, type EngineMetrics } from './registry.js';
import { startMetricsServer, type MetricsServer } from './server.js';
import { parseExposition, sampleValue, type Exposition } from './exposition-parser.js';

let upstream: RunningServer;
let pair: RunningPair;
const opened: { metrics: EngineMetrics; server: MetricsServer }[] = [];

beforeAll(async () => {
  upstream = await startXorEcho();
  pair = await startPair('porthole', 'porthole', upstream.port);
});

afterAll(async () => {
  for (const { metrics, server } of opened) {
    await server.close();
    metrics.close();
  }
  await pair.stop();
  await upstream.close();
});

async function serve(instance: Instance, options: { host?: string; token?: string } = {}): Promise<MetricsServer> {
  const metrics = createEngineMetrics({ instance: () => instance });
  const server = await startMetricsServer({ metrics, host: options.host ?? '127.0.0.1', port: 0, token: options.token });
  opened.push({ metrics, server });
  return server;
}

async function scrape(url: string, token?: string): Promise<Exposition> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
  return parseExposition(await response.text());
}

/** Sends 64 random bytes to the portal's VMess port: no user's auth id, so the handshake is rejected. */
function badHandshake(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(randomBytes(64)));
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    setTimeout(() => socket.destroy(), 300).unref();
  });
}

describe('/metrics', () => {
  it('counts traffic per tag, links, and rejected handshakes on a real pair', async () => {
    const portal = pair.portal.instance!;
    const bridge = pair.bridge.instance!;
    const portalMetrics = await serve(portal);
    const bridgeMetrics = await serve(bridge);

    const before = await scrape(portalMetrics.url);
    const downBefore = sampleValue(before, 'porthole_traffic_bytes_total', { side: 'inbound', tag: 'external', direction: 'down' }) ?? 0;
    const connectionsBefore = sampleValue(before, 'porthole_connections_total', { side: 'inbound', tag: 'external' }) ?? 0;

    const payload = randomBytes(200_000);
    const answer = await echoThrough(pair.ports.publicPort, payload, { closeAfterEcho: true });
    expect(answer.length).toBe(payload.length);
    await badHandshake(pair.ports.linkPort);

    // Closed connections count too: wait until the portal has let the visitor's connection go.
    await waitUntil(async () => sampleValue(await scrape(portalMetrics.url), 'porthole_connections_open', { side: 'inbound', tag: 'external' }) === 0, 10_000, 'the visitor connection to close');
    await waitUntil(async () => (sampleValue(await scrape(portalMetrics.url), 'porthole_handshake_failures_total', { protocol: 'vmess' }) ?? 0) >= 1, 10_000, 'the bad handshake to be counted');
    const after = await scrape(portalMetrics.url);

    expect(after.types.get('porthole_traffic_bytes_total')).toBe('counter');
    expect(after.types.get('porthole_portal_links')).toBe('gauge');
    expect(sampleValue(after, 'porthole_traffic_bytes_total', { side: 'inbound', tag: 'external', direction: 'down' })).toBeGreaterThanOrEqual(downBefore + payload.length);
    expect(sampleValue(after, 'porthole_traffic_bytes_total', { side: 'inbound', tag: 'external', direction: 'up' })).toBeGreaterThanOrEqual(payload.length);
    expect(sampleValue(after, 'porthole_connections_total', { side: 'inbound', tag: 'external', exposure: '', user: '' })).toBe(connectionsBefore + 1);
    expect(sampleValue(after, 'porthole_portal_links', { portal: 'portal' })).toBeGreaterThanOrEqual(1);
    const failure = after.samples.find((sample) => sample.name === 'porthole_handshake_failures_total');
    expect(failure?.labels).toEqual({ protocol: 'vmess', reason: expect.stringMatching(/^[A-Z0-9_]+$/) as unknown as string });
    // Never a visitor's address in a label.
    for (const sample of after.samples) for (const value of Object.values(sample.labels)) expect(value).not.toMatch(/127\.0\.0\.1:\d+/);
    // The default process metrics come along.
    expect(after.types.get('process_cpu_seconds_total')).toBe('counter');

    const bridgeSide = await scrape(bridgeMetrics.url);
    expect(sampleValue(bridgeSide, 'porthole_bridge_links', { bridge: 'bridge' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(bridgeSide, 'porthole_traffic_bytes_total', { side: 'outbound', tag: 'out', direction: 'down' })).toBeGreaterThanOrEqual(payload.length);
  });

  it('asks for the token when one is set, and serves nothing but /metrics', async () => {
    const server = await serve(pair.portal.instance!, { token: 'secret-token-for-tests' });
    const bare = await fetch(server.url);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(server.url, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const parsed = await scrape(server.url, 'secret-token-for-tests');
    expect(parsed.types.get('porthole_connections_open')).toBe('gauge');
    expect((await fetch(server.url.replace('/metrics', '/'), { headers: { authorization: 'Bearer secret-token-for-tests' } })).status).toBe(404);
  });

  it('refuses a non-loopback address without a token', async () => {
    const metrics = createEngineMetrics({ instance: () => pair.portal.instance });
    await expect(startMetricsServer({ metrics, host: '0.0.0.0', port: 0 })).rejects.toThrow('metrics on 0.0.0.0: other machines could read them there, so a token is required');
    metrics.close();
  });
});
