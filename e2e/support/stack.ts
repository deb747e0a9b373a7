/**
 * What the scenarios run against: a real Porthole portal (in this process) with an XOR echo behind
 * nothing yet, and the engine service with an empty profile folder, served by the real dashboard.
 * The bridge config the user pastes points at that portal and that echo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportV2RayConfig } from '../../src-core/engine/config/index.js';
import { startDashboard, type Dashboard } from '../../src-core/host/dashboard/server.js';
import { createLocalEngineService, type LocalEngineService } from '../../src-core/host/service/local-engine-service.js';
import { freePorts, waitForPort } from '../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type RunningPeer } from '../../test/support/reverse-pair.js';
import { startXorEcho, type RunningServer } from '../../test/support/upstream.js';

/** The built renderer; PORTHOLE_E2E_RENDERER points at another build (one per worktree or branch). */
export const RENDERER_FOLDER = process.env.PORTHOLE_E2E_RENDERER
  ?? fileURLToPath(new URL('../../dist/renderer/', import.meta.url)).replace(/\/$/, '');

export interface Stack {
  dashboard: Dashboard;
  service: LocalEngineService;
  portal: RunningPeer;
  echo: RunningServer;
  /** The portal's public port: connections here come out of the bridge to the echo. */
  publicPort: number;
  /** A bridge profile for this portal and echo, as a user would paste it. */
  bridgeText: string;
  stop(): Promise<void>;
}

const quiet = { write: () => {} };

export async function startStack(): Promise<Stack> {
  const echo = await startXorEcho();
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const ports = { publicPort, linkPort, upstreamPort: echo.port };
  const portal = await startPeer('porthole', portalConfig(ports));
  await waitForPort(linkPort);
  const folder = mkdtempSync(join(tmpdir(), 'porthole-e2e-'));
  const service = await createLocalEngineService({
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    logSinks: { error: quiet, access: quiet },
  });
  const dashboard = await startDashboard({ service, port: 0, staticFolder: RENDERER_FOLDER });
  const exported = exportV2RayConfig(bridgeConfig(ports));
  const bridgeText = `// The bridge: links to the portal on 127.0.0.1:${linkPort}, traffic out to the echo on ${echo.port}.\n${JSON.stringify({ ...exported, log: { loglevel: 'info' } }, null, 2)}\n`;
  return {
    dashboard, service, portal, echo, publicPort, bridgeText,
    stop: async () => {
      await dashboard.close();
      await service.close();
      await portal.stop();
      await echo.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}
