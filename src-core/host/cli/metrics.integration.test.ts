/**
 * `porthole run --metrics`: the flag's parsing and refusals through `main`, and a headless portal
 * run through `runEngine` serving `/metrics` on the address it prints.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportV2RayConfig, loadConfigFiles } from '../../engine/config/index.js';
import { freePorts, waitUntil } from '../../../test/support/ports.js';
import { portalConfig } from '../../../test/support/reverse-pair.js';
import { parseExposition, sampleValue } from '../metrics/exposition-parser.js';
import { EXIT_USAGE, main, parseUiAddress } from './main.js';
import { DEFAULT_METRICS_ADDRESS, metricsAddress } from './metrics-option.js';
import { runEngine } from './run.js';

let folder: string;
let configFile: string;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-metrics-'));
  const [publicPort = 0, linkPort = 0, upstreamPort = 0] = await freePorts(3);
  configFile = join(folder, 'portal.json');
  writeFileSync(configFile, JSON.stringify(exportV2RayConfig(portalConfig({ publicPort, linkPort, upstreamPort })), null, 2));
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

async function run(args: string[]) {
  const err: string[] = [];
  const code = await main(args, { out: () => {}, err: (line) => err.push(line) });
  return { code, err: err.join('\n') };
}

describe('porthole run --metrics', () => {
  it('listens on loopback by default; another address gets a token made for it unless one is given', () => {
    const parse = (value: string) => parseUiAddress(value, '--metrics', DEFAULT_METRICS_ADDRESS);
    expect(metricsAddress(true, undefined, parse)).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(metricsAddress('9999', undefined, parse)).toEqual({ host: '127.0.0.1', port: 9999 });
    const made = metricsAddress('0.0.0.0:9464', undefined, parse);
    expect(made).toEqual({ host: '0.0.0.0', port: 9464, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) as unknown as string, tokenMade: true });
    expect(metricsAddress('0.0.0.0:9464', 'given', parse)).toEqual({ host: '0.0.0.0', port: 9464, token: 'given' });
  });

  it('refuses a bad address and a token without --metrics', async () => {
    expect(await run(['run', '-c', configFile, '--metrics', 'nope:port'])).toEqual({ code: EXIT_USAGE, err: expect.stringContaining('--metrics: expected host:port (e.g. 127.0.0.1:9464)') as unknown as string });
    expect(await run(['run', '-c', configFile, '--metrics-token', 'x'])).toEqual({ code: EXIT_USAGE, err: expect.stringContaining('--metrics-token needs --metrics') as unknown as string });
  });

  it('serves /metrics beside a headless engine, with the token it printed once, and stops with it', async () => {
    const lines: string[] = [];
    let stop: (signal: string) => void = () => {};
    const stopSignal = new Promise<string>((resolve) => { stop = resolve; });
    const [metricsPort = 0] = await freePorts(1);
    const running = runEngine(loadConfigFiles([configFile]), {
      configFiles: [configFile],
      output: { out: (line) => lines.push(line), err: (line) => lines.push(line) },
      stopSignal,
      metrics: { host: '127.0.0.1', port: metricsPort, token: 'made-at-start', tokenMade: true },
    });
    await waitUntil(() => lines.some((line) => line.startsWith('porthole: started')), 10_000, 'the engine to start');
    expect(lines).toContain(`porthole: metrics: http://127.0.0.1:${metricsPort}/metrics (send Authorization: Bearer <token>)`);
    expect(lines.filter((line) => line.includes('made-at-start'))).toHaveLength(1);
    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(url, { headers: { authorization: 'Bearer made-at-start' } });
    expect(response.status).toBe(200);
    const parsed = parseExposition(await response.text());
    expect(sampleValue(parsed, 'porthole_portal_links', { portal: 'portal' })).toBe(0);
    stop('test');
    expect(await running).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  });

  it('fails to start, in one line, when the metrics port is taken', async () => {
    const lines: string[] = [];
    const [metricsPort = 0] = await freePorts(1);
    const blocker = (await import('node:net')).createServer().listen(metricsPort, '127.0.0.1');
    await new Promise((resolve) => blocker.once('listening', resolve));
    try {
      const code = await runEngine(loadConfigFiles([configFile]), {
        configFiles: [configFile],
        output: { out: (line) => lines.push(line), err: (line) => lines.push(line) },
        stopSignal: new Promise(() => {}),
        metrics: { host: '127.0.0.1', port: metricsPort },
      });
      expect(code).toBe(1);
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^porthole: cannot serve metrics on 127\\.0\\.0\\.1:${metricsPort}: .*EADDRINUSE`)) as unknown as string]);
    } finally {
      blocker.close();
    }
  });
});
