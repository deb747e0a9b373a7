/**
 * `porthole run` says once, at start, that the native chunk cipher is not in use and why, when
 * the engine speaks VMess; here it is turned off with PORTHOLE_NATIVE_AEAD=0 before the engine loads.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePorts } from '../../../test/support/ports.js';
import { portalConfig } from '../../../test/support/reverse-pair.js';
import { loadConfig, type PortholeConfig } from '../../engine/config/index.js';
import { runEngine } from './run.js';

const previous = vi.hoisted(() => {
  const value = process.env.PORTHOLE_NATIVE_AEAD;
  process.env.PORTHOLE_NATIVE_AEAD = '0';
  return value;
});
afterAll(() => {
  if (previous === undefined) delete process.env.PORTHOLE_NATIVE_AEAD;
  else process.env.PORTHOLE_NATIVE_AEAD = previous;
});

/** Runs the engine until it has said it started, then stops it; every stderr line. */
async function linesOfRun(config: PortholeConfig): Promise<string[]> {
  const lines: string[] = [];
  let started: (signal: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => { started = resolve; });
  const output = {
    out: (line: string) => lines.push(line),
    err: (line: string) => {
      lines.push(line);
      if (line.startsWith('porthole: started')) started('SIGTERM');
    },
  };
  expect(await runEngine(config, { configFiles: ['config.json'], output, stopSignal })).toBe(0);
  return lines;
}

describe('porthole run: the crypto notice', () => {
  it('one line after "started" when the engine speaks VMess, saying why the addon is off and what runs instead', async () => {
    const [publicPort = 0, linkPort = 0] = await freePorts(2);
    const lines = await linesOfRun(portalConfig({ publicPort, linkPort, upstreamPort: 9 }));
    expect(lines.filter((line) => line.includes('crypto'))).toEqual([
      'porthole: crypto: native AEAD not in use (turned off by PORTHOLE_NATIVE_AEAD=0), so VMess chunk ciphers use node:crypto instead',
    ]);
    expect(lines.findIndex((line) => line.includes('crypto'))).toBe(lines.findIndex((line) => line.startsWith('porthole: started')) + 1);
  });

  it('nothing when no VMess inbound or outbound is configured', async () => {
    const [port = 0] = await freePorts(1);
    const config = loadConfig([{
      name: 'config.json',
      text: JSON.stringify({
        inbounds: [{ listen: '127.0.0.1', port, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 9, network: 'tcp' } }],
        outbounds: [{ protocol: 'freedom' }],
      }),
    }]);
    const lines = await linesOfRun(config);
    expect(lines.some((line) => line.startsWith('porthole: started'))).toBe(true);
    expect(lines.filter((line) => line.includes('crypto'))).toEqual([]);
  });
});
