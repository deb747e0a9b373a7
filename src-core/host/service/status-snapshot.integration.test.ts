/**
 * The snapshot tells the engine's state as it changes, not a second later: after a restart of the
 * service, `getSnapshot` (what a dashboard that just connected reads) said "stopped" until the next
 * sampling tick while the engine was starting, and even once it ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/ports.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';

const quiet = { write: () => {} };
let folder: string;
const services: LocalEngineService[] = [];

/** A service on `folder` that samples once a minute: any fresh snapshot in a test comes from a state change. */
async function openService(): Promise<LocalEngineService> {
  const service = await createLocalEngineService({
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    logSinks: { error: quiet, access: quiet },
    sampleIntervalMs: 60_000,
  });
  services.push(service);
  return service;
}

beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-status-'));
});

afterEach(async () => {
  for (const service of services.splice(0)) await service.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('the snapshot follows the engine state', () => {
  it('after a restart: starting while it starts, running once it runs, stopped once it stops', async () => {
    const first = await openService();
    const port = await freePort();
    await first.saveProfile('echo', JSON.stringify({
      inbounds: [{ tag: 'in', listen: '127.0.0.1', port, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: 9, network: 'tcp' } }],
      outbounds: [{ protocol: 'freedom' }],
    }));
    await first.activateProfile('echo');
    await first.close();

    const service = await openService();
    expect((await service.getSnapshot()).status.state).toBe('stopped');
    const points = (await service.getTrafficHistory('5m')).total.points.length;
    const pushed: string[] = [];
    const read: string[] = [];
    service.onDidChangeSnapshot((snapshot) => {
      pushed.push(snapshot.status.state);
      // What a client asking right now is told (a dashboard that just connected).
      void service.getSnapshot().then((latest) => read.push(latest.status.state));
    });
    await service.startEngine();
    expect((await service.getSnapshot()).status).toMatchObject({ state: 'running', profile: 'echo' });
    await service.stopEngine();
    expect((await service.getSnapshot()).status.state).toBe('stopped');
    expect(pushed).toEqual(['starting', 'running', 'stopping', 'stopped']);
    expect(read).toEqual(pushed);
    // Told, not sampled: a sample a few ms after the last would be a spike in the graph.
    expect((await service.getTrafficHistory('5m')).total.points.length).toBe(points);
  });
});
