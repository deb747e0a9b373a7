/**
 * The engine service over a real engine: profiles in a temporary folder, a bridge profile activated
 * against a Porthole portal, traffic through it, and what the snapshots say.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineSnapshot, LogLine } from '../api/index.js';
import { exportV2RayConfig } from '../../engine/config/index.js';
import { freePorts, waitForPort, waitUntil } from '../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from '../../../test/support/reverse-pair.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../test/support/upstream.js';
import { deterministicBytes, xor5a } from '../../../test/support/data.js';
import { createLocalEngineService, type LocalEngineService } from './local-engine-service.js';

const quiet = { write: () => {} };

/** A client connection that stays open until the far end closes it. */
function openIdleConnection(port: number): Promise<{ closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('data', () => {});
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      socket.write('hello');
      resolve({ closed });
    });
  });
}
let folder: string;
let echo: RunningServer;
let portal: RunningPeer;
let service: LocalEngineService;
let bridgeText: string;
let publicPort: number;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'porthole-service-'));
  echo = await startXorEcho();
  const [pub = 0, link = 0] = await freePorts(2);
  publicPort = pub;
  const ports = { publicPort: pub, linkPort: link, upstreamPort: echo.port };
  portal = await startPeer('porthole', portalConfig(ports));
  await waitForPort(link);
  bridgeText = JSON.stringify(exportV2RayConfig(bridgeConfig(ports)), null, 2);
  service = await createLocalEngineService({
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    logSinks: { error: quiet, access: quiet },
    sampleIntervalMs: 100,
    logFlushMs: 20,
  });
});

afterAll(async () => {
  await service?.close();
  await portal?.stop();
  await echo?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('LocalEngineService', () => {
  it('keeps profiles as files, drafts included, with their first error', async () => {
    await service.saveProfile('bridge', bridgeText);
    await service.saveProfile('draft', '{\n  "inbounds": [\n    {"port": "abc", "protocol": "dokodemo-door"}\n  ]\n}');
    const list = await service.listProfiles();
    expect(list.map(({ name, origin, active, error, roles }) => ({ name, origin, active, code: error?.code ?? null, line: error?.where?.line ?? null, roles }))).toEqual([
      { name: 'bridge', origin: 'store', active: false, code: null, line: null, roles: ['bridge "bridge"'] },
      { name: 'draft', origin: 'store', active: false, code: 'PH_CONFIG_TYPE', line: 3, roles: [] },
    ]);
    expect(readFileSync(join(folder, 'profiles', 'bridge.json'), 'utf8')).toBe(bridgeText);
    await expect(service.getProfile('missing')).rejects.toMatchObject({ code: 'PH_PROFILE_NOT_FOUND' });
    await expect(service.saveProfile('../escape', '{}')).rejects.toMatchObject({ code: 'PH_PROFILE_BAD_NAME' });
    await service.deleteProfile('draft');
    expect((await service.listProfiles()).map((profile) => profile.name)).toEqual(['bridge']);
  });

  it('validates like porthole test: the error has line, column and path', async () => {
    const socks = { code: 'PH_CONFIG_UNSUPPORTED', message: expect.stringContaining('"socks"') as unknown as string, where: { file: 'profile.json', line: 2, column: 31, path: 'outbounds[0].protocol' } };
    expect(await service.validateProfile('{\n  "outbounds": [{ "protocol": "socks" }]\n}')).toEqual({ ok: false, error: socks, errors: [socks] });
    expect(await service.validateProfile(bridgeText)).toEqual({ ok: true, warnings: [], roles: ['bridge "bridge"'] });
  });

  it('exports V2Ray JSON', async () => {
    const exported = await service.exportProfile('bridge');
    expect({ fileName: exported.fileName, reverse: (JSON.parse(exported.text) as { reverse: unknown }).reverse }).toEqual({ fileName: 'bridge.v2ray.json', reverse: { bridges: [{ tag: 'bridge', domain: 'test.v2ray.com' }] } });
  });

  it('refuses to start without an active profile', async () => {
    await expect(service.startEngine()).rejects.toMatchObject({ code: 'PH_ENGINE_NO_PROFILE' });
  });

  it('activates the bridge: link up, a connection with rates, totals, log lines in batches', async () => {
    const snapshots: EngineSnapshot[] = [];
    const batches: LogLine[][] = [];
    const stopSnapshots = service.onDidChangeSnapshot((snapshot) => snapshots.push(snapshot));
    const stopLogs = service.onDidLog((lines) => batches.push(lines));
    const status = await service.activateProfile('bridge');
    expect({ state: status.state, profile: status.profile }).toEqual({ state: 'running', profile: 'bridge' });
    await waitUntil(() => snapshots.at(-1)?.bridges[0]?.linkState === 'up', 10_000, 'the bridge link');

    const payload = deterministicBytes(7, 256 * 1024);
    expect((await echoThrough(publicPort, payload)).equals(xor5a(payload))).toBe(true);
    await waitUntil(() => (snapshots.at(-1)?.totals.bytesDown ?? 0) >= payload.length, 10_000, 'the totals');
    const last = snapshots.at(-1) as EngineSnapshot;
    const streams = last.connections.filter((row) => row.kind === 'connection');
    expect({
      bridge: last.bridges[0] && { tag: last.bridges[0].tag, workers: last.bridges[0].workers, activeLinks: last.bridges[0].activeLinks },
      tunnel: last.connections.filter((row) => row.kind === 'tunnel').map((row) => [row.inboundTag, row.outboundTag, row.target]),
      stream: streams.map((row) => [row.inboundTag, row.outboundTag, row.bytesUp, row.bytesDown]),
      totals: [last.totals.bytesUp, last.totals.bytesDown],
      outTag: last.tags.find((tag) => tag.tag === 'out' && tag.direction === 'outbound')?.bytesDown,
      seqIncreasing: snapshots.every((snapshot, index) => index === 0 || snapshot.seq === (snapshots[index - 1] as EngineSnapshot).seq + 1),
      sawRate: snapshots.some((snapshot) => snapshot.totals.downRate > 0),
    }).toEqual({
      bridge: { tag: 'bridge', workers: 1, activeLinks: 1 },
      tunnel: [['bridge', 'interconn', 'tcp:test.v2ray.com:0']],
      stream: [['bridge', 'out', payload.length, payload.length]],
      totals: [payload.length, payload.length],
      outTag: payload.length,
      seqIncreasing: true,
      sawRate: true,
    });
    await waitUntil(() => batches.flat().some((line) => line.message.includes('[bridge -> out]')), 5000, 'the access line');
    expect(batches.every((batch) => batch.length >= 1)).toBe(true);
    expect((await service.getTrafficHistory('1m')).total.points.length).toBeGreaterThan(1);
    stopSnapshots();
    stopLogs();
  });

  it('closes all user connections but not the tunnel links', async () => {
    // The download before may still be closing on the bridge side: its row would pass for the idle client's.
    const userOpen = async () => (await service.listConnections()).some((row) => row.kind === 'connection' && row.closedAt === null);
    await waitUntil(async () => !(await userOpen()), 10_000, 'the previous connection to close');
    const client = await openIdleConnection(publicPort);
    await waitUntil(userOpen, 10_000, 'an open connection');
    expect(await service.closeAllConnections()).toBe(1);
    await client.closed;
    await waitUntil(async () => (await service.listConnections()).filter((row) => row.closedAt === null).every((row) => row.kind === 'tunnel'), 5000, 'the connection to close');
    expect((await service.getSnapshot()).bridges[0]?.linkState).toBe('up');
  });

  it('remembers the active profile and theme, and stops cleanly', async () => {
    await service.setSettings({ theme: 'dark' });
    expect(JSON.parse(readFileSync(join(folder, 'settings.json'), 'utf8'))).toEqual({ theme: 'dark', activeProfile: 'bridge', exposures: [], exposuresPaused: false });
    expect((await service.stopEngine()).state).toBe('stopped');
    expect(service.engine).toBeUndefined();
  });
});
