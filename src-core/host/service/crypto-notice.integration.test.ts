/**
 * The engine status carries the crypto notice `porthole run` prints (the tray app shows and logs
 * it): here the native chunk cipher is turned off with PORTHOLE_NATIVE_AEAD=0 before the engine
 * loads, as Electron leaves it out. Only an engine that speaks VMess says anything.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { exportV2RayConfig } from '../../engine/config/index.js';
import { freePorts } from '../../../test/support/ports.js';
import { portalConfig } from '../../../test/support/reverse-pair.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';

const previous = vi.hoisted(() => {
  const value = process.env.PORTHOLE_NATIVE_AEAD;
  process.env.PORTHOLE_NATIVE_AEAD = '0';
  return value;
});

const NOTICE = 'crypto: native AEAD not in use (turned off by PORTHOLE_NATIVE_AEAD=0), so VMess chunk ciphers use node:crypto instead';
const quiet = { write: () => {} };
let folder: string;
let service: LocalEngineService;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-crypto-notice-'));
  service = await createLocalEngineService({ profilesFolder: join(folder, 'profiles'), logSinks: { error: quiet, access: quiet }, sampleIntervalMs: 100 });
});

afterAll(async () => {
  await service?.close();
  rmSync(folder, { recursive: true, force: true });
  if (previous === undefined) delete process.env.PORTHOLE_NATIVE_AEAD;
  else process.env.PORTHOLE_NATIVE_AEAD = previous;
});

describe('the engine status: the crypto notice', () => {
  it('says which crypto path VMess takes while an engine that speaks it runs, and nothing once stopped', async () => {
    const [publicPort = 0, linkPort = 0, plainPort = 0] = await freePorts(3);
    await service.saveProfile('portal', JSON.stringify(exportV2RayConfig(portalConfig({ publicPort, linkPort, upstreamPort: 9 }))));
    await service.saveProfile('plain', JSON.stringify({
      inbounds: [{ listen: '127.0.0.1', port: plainPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 9, network: 'tcp' } }],
      outbounds: [{ protocol: 'freedom' }],
    }));
    const running = await service.activateProfile('portal');
    const snapshot = await new Promise<string | undefined>((resolve) => {
      const stop = service.onDidChangeSnapshot((next) => {
        stop();
        resolve(next.status.cryptoNotice);
      });
    });
    const plain = await service.activateProfile('plain');
    const stopped = await service.stopEngine();
    expect({ running: running.cryptoNotice, snapshot, plain: plain.cryptoNotice, stopped: stopped.cryptoNotice })
      .toEqual({ running: NOTICE, snapshot: NOTICE, plain: undefined, stopped: undefined });
  });
});
