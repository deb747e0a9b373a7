/**
 * UDP through the reverse proxy, as V2Ray carries it: a dokodemo-door on the portal with
 * `"network": "tcp,udp"`, one Mux.Cool packet session per client address, freedom on the bridge
 * sending to a UDP service. Every pairing with the real `v2ray`, datagrams checked one by one.
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortholeConfig } from '../../config/index.js';
import { freeTcpUdpPorts, waitForPort } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig, startPeer, type Peer, type RunningPeer } from '../../../../test/support/reverse-pair.js';
import { v2rayAvailable } from '../../../../test/support/v2ray.js';

type Mutable<T> = { -readonly [K in keyof T]: Mutable<T[K]> };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Answers every datagram with its bytes XOR 0x5a, to the address it came from. */
async function startUdpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (datagram, from) => socket.send(datagram.map((byte) => byte ^ 0x5a), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

async function peer(kind: Peer, config: PortholeConfig): Promise<RunningPeer> {
  const running = await startPeer(kind, config);
  cleanups.push(() => running.stop());
  return running;
}

/** A client socket that sends datagrams and collects the answers in order. */
async function udpClient(port: number) {
  const socket = dgram.createSocket('udp4');
  const answers: Buffer[] = [];
  let waiter: (() => void) | undefined;
  socket.on('message', (datagram) => {
    answers.push(datagram);
    waiter?.();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  /** Sends one datagram and waits for its answer; retries, since the first may arrive before the link is up. */
  const exchange = async (datagram: Buffer, attempts = 20): Promise<Buffer> => {
    for (let attempt = 0; attempt < attempts; attempt += 1) {
      const before = answers.length;
      socket.send(datagram, port, '127.0.0.1');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        waiter = () => { clearTimeout(timer); resolve(); };
      });
      waiter = undefined;
      if (answers.length > before) return answers[answers.length - 1] as Buffer;
    }
    throw new Error(`no answer to a ${datagram.length}-byte datagram`);
  };
  return { exchange };
}

const pairings: Array<[Peer, Peer]> = [['porthole', 'porthole'], ['v2ray', 'porthole'], ['porthole', 'v2ray']];

describe('UDP through the reverse proxy', () => {
  it.each(pairings)('portal %s ↔ bridge %s: datagrams keep their boundaries, each client its own session', async (portalKind, bridgeKind) => {
    if ((portalKind === 'v2ray' || bridgeKind === 'v2ray') && !v2rayAvailable()) return;
    const echoPort = await startUdpEcho();
    const [publicPort = 0, linkPort = 0] = await freeTcpUdpPorts(2);
    const ports = { publicPort, linkPort, upstreamPort: echoPort };
    const portal = portalConfig(ports) as Mutable<PortholeConfig>;
    for (const inbound of portal.inbounds) if (inbound.protocol === 'dokodemo-door') inbound.settings.network = ['tcp', 'udp'];
    await peer(portalKind, portal);
    await waitForPort(linkPort);
    await peer(bridgeKind, bridgeConfig(ports));
    await waitForPort(publicPort);

    const [first, second] = [await udpClient(publicPort), await udpClient(publicPort)];
    const sizes = [1, 100, 512, 1200, 1400, 7];
    for (const size of sizes) {
      const datagram = Buffer.alloc(size, size % 251);
      const [a, b] = await Promise.all([first.exchange(datagram), second.exchange(Buffer.from(datagram).reverse())]);
      expect(a).toEqual(datagram.map((byte) => byte ^ 0x5a));
      expect(b).toEqual(Buffer.from(datagram).reverse().map((byte) => byte ^ 0x5a));
    }
    if (portalKind === 'porthole') {
      // Mux.Cool packets hold at most 2048 bytes, and 4.34's reader drops the whole link on a larger
      // one: a Porthole portal never sends it. That client's session ends; the link and the other
      // client go on, and the next datagram opens a new session.
      const oversized = first.exchange(Buffer.alloc(3000, 1), 2).then(() => 'answered', () => 'no answer');
      expect(await second.exchange(Buffer.from('still here'))).toEqual(Buffer.from('still here').map((byte) => byte ^ 0x5a));
      expect(await oversized).toBe('no answer');
      expect(await first.exchange(Buffer.from('again'))).toEqual(Buffer.from('again').map((byte) => byte ^ 0x5a));
    }
  }, 60_000);
});
