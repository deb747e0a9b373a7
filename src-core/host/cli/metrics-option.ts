/**
 * `porthole run --metrics [host:port] [--metrics-token T]`: serves Prometheus metrics beside the
 * engine. Off unless asked; loopback by default; another address needs a token (given, from
 * `$PORTHOLE_METRICS_TOKEN`, or made here and printed once).
 */
import { formatErrorLine } from '../../engine/common/errors.js';
import { createToken, isLoopbackHost } from '../dashboard/token-gate.js';
import type { MetricsSource } from '../metrics/registry.js';
import type { CliOutput } from './main.js';

export const DEFAULT_METRICS_ADDRESS = '127.0.0.1:9464';

export interface MetricsAddress {
  host: string;
  port: number;
  token?: string;
  /** The token was made at start and must be printed once. */
  tokenMade?: boolean;
}

/** `--metrics`'s value (`true` without one) and token into where and how to serve; `parse` reads host:port. */
export function metricsAddress(value: string | true, token: string | undefined, parse: (value: string) => { host: string; port: number }): MetricsAddress {
  const { host, port } = parse(value === true ? DEFAULT_METRICS_ADDRESS : value);
  if (token) return { host, port, token };
  if (isLoopbackHost(host)) return { host, port };
  return { host, port, token: createToken(), tokenMade: true };
}

/** Starts the metrics server; on failure says why in one line and resolves to undefined. */
export async function serveMetrics(address: MetricsAddress, source: MetricsSource, output: CliOutput): Promise<{ close(): Promise<void> } | undefined> {
  // Loaded only with --metrics: a portal without it does not carry prom-client in memory.
  const [{ createEngineMetrics }, { startMetricsServer }] = await Promise.all([import('../metrics/registry.js'), import('../metrics/server.js')]);
  const metrics = createEngineMetrics(source);
  try {
    const server = await startMetricsServer({ metrics, host: address.host, port: address.port, token: address.token });
    output.err(`porthole: metrics: ${server.url}${address.token ? ' (send Authorization: Bearer <token>)' : ''}`);
    if (address.tokenMade) output.err(`porthole: metrics token (shown once; pass --metrics-token to keep one across restarts): ${address.token}`);
    return {
      close: async () => {
        await server.close();
        metrics.close();
      },
    };
  } catch (error) {
    metrics.close();
    output.err(`porthole: cannot serve metrics on ${address.host}:${address.port}: ${formatErrorLine(error)}`);
    return undefined;
  }
}
