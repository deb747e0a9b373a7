/**
 * Downloads through a slow or stalled bridge → portal link (a home uplink; a portal that stops
 * for a while) arrive whole: the idle policy must measure progress on the wire, not bytes handed
 * to a stream that is still queued behind the link. A download that is cut anyway must end with a
 * reset, never a clean end the client would take for the whole file.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DOWNLOAD, sizedHeader } from '../../../../bench/lib/protocol.js';
import { freePorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, startPeerProcess, type Peer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { startThrottleRelay, type ThrottleRelay } from '../../../../test/support/throttle-relay.js';
import { startMixedUpstream, type RunningServer } from '../../../../test/support/upstream.js';
import { v2rayAvailable, type V2RayProcess } from '../../../../test/support/v2ray.js';

interface Outcome {
  size: number;
  received: number;
  /** How the stream ended: a clean FIN, or a reset / error. */
  ending: 'end' | 'reset';
}

function download(port: number, size: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = 0;
    let settled = false;
    const settle = (ending: Outcome['ending']) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ size, received, ending });
    };
    const timer = setTimeout(() => settle('reset'), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    socket.once('end', () => settle('end'));
    socket.once('error', () => settle('reset'));
    socket.once('close', () => settle('reset'));
    socket.once('connect', () => socket.write(sizedHeader(DOWNLOAD, size)));
  });
}

interface Rig {
  publicPort: number;
  relay?: ThrottleRelay;
  portal: RunningPeer | V2RayProcess;
  bridge: RunningPeer;
}

let upstream: RunningServer | undefined;
let rig: Rig | undefined;

afterEach(async () => {
  const process = rig && 'child' in rig.portal ? rig.portal.child : undefined;
  if (process?.exitCode === null) process.kill('SIGCONT');
  await rig?.bridge.stop();
  await rig?.portal.stop();
  await rig?.relay?.close();
  await upstream?.close();
  rig = undefined;
  upstream = undefined;
});

async function tunnelAnswers(publicPort: number): Promise<void> {
  await waitUntil(async () => (await download(publicPort, 16, 2000)).received === 16, 20_000, 'the tunnel');
}

/** Portal and bridge in this process, the bridge's link through a relay throttled to `bytesPerSecond`. */
async function startThrottledRig(portalKind: Peer, bytesPerSecond: number): Promise<Rig> {
  upstream = await startMixedUpstream();
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const portal = await startPeer(portalKind, portalConfig({ publicPort, linkPort, upstreamPort: upstream.port }));
  await waitForPort(linkPort);
  const relay = await startThrottleRelay({ targetPort: linkPort, forwardBytesPerSecond: bytesPerSecond });
  const bridge = await startPeer('porthole', bridgeConfig({ publicPort, linkPort: relay.port, upstreamPort: upstream.port }));
  await waitForPort(publicPort);
  await tunnelAnswers(publicPort);
  return { publicPort, relay, portal, bridge };
}

/** The portal as a process of its own (so it can be stopped with SIGSTOP), the bridge in this process. */
async function startProcessRig(portalKind: Peer): Promise<Rig & { portal: V2RayProcess }> {
  upstream = await startMixedUpstream();
  const [publicPort = 0, linkPort = 0] = await freePorts(2);
  const portal = startPeerProcess(portalKind, portalConfig({ publicPort, linkPort, upstreamPort: upstream.port }));
  await waitForPort(linkPort);
  const bridge = await startPeer('porthole', bridgeConfig({ publicPort, linkPort, upstreamPort: upstream.port }));
  await waitForPort(publicPort);
  await tunnelAnswers(publicPort);
  return { publicPort, portal, bridge };
}

function summarise(outcomes: Outcome[]): { whole: number; cutWithFin: number; cutWithReset: number } {
  let whole = 0;
  let cutWithFin = 0;
  let cutWithReset = 0;
  for (const outcome of outcomes) {
    if (outcome.received === outcome.size && outcome.ending === 'end') whole += 1;
    else if (outcome.ending === 'end') cutWithFin += 1;
    else cutWithReset += 1;
  }
  return { whole, cutWithFin, cutWithReset };
}

const SIZES = [16 * 1024, 64 * 1024, 256 * 1024];
const portals: Peer[] = v2rayAvailable() ? ['porthole', 'v2ray'] : ['porthole'];

function downloads(count: number, port: number): Promise<Outcome[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => download(port, SIZES[i % SIZES.length]!, 90_000)));
}

describe.each(portals)('downloads through a Porthole bridge and a %s portal', (portalKind) => {
  it('a link throttled to 2 MB/s: 200 concurrent downloads all arrive whole', { timeout: 120_000 }, async () => {
    rig = await startThrottledRig(portalKind, 2_000_000);
    expect(summarise(await downloads(200, rig.publicPort))).toEqual({ whole: 200, cutWithFin: 0, cutWithReset: 0 });
  });

  // Longer than the bridge's 10 s wait for a lone link's handshake: the link it opens for the
  // queued sessions during the stop must still be there when the portal wakes and uses it.
  it('the portal process stopped (SIGSTOP) for 14 s mid-download: every download arrives whole', { timeout: 120_000 }, async () => {
    const processRig = await startProcessRig(portalKind);
    rig = processRig;
    const pending = downloads(500, processRig.publicPort);
    // Stop it once the first downloads are under way, while the rest still queue at the bridge.
    await new Promise((resolve) => setTimeout(resolve, 100));
    processRig.portal.child.kill('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 14_000));
    processRig.portal.child.kill('SIGCONT');
    expect(summarise(await pending)).toEqual({ whole: 500, cutWithFin: 0, cutWithReset: 0 });
  });
});

describe('a download cut short', () => {
  it('ends with a reset, never a clean end, when the bridge goes away mid-transfer', { timeout: 120_000 }, async () => {
    rig = await startThrottledRig('porthole', 2_000_000);
    const pending = downloads(100, rig.publicPort);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await rig.bridge.stop();
    const summary = summarise(await pending);
    expect(summary.cutWithFin).toBe(0);
    expect(summary.cutWithReset).toBeGreaterThan(0);
  });
});
