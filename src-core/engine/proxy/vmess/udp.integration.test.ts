/**
 * UDP straight over VMess (command 0x02: one datagram per chunk), both ways against the real
 * v2ray: a Porthole client (dokodemo-door udp → vmess outbound) to a v2ray server, and a v2ray
 * client to a Porthole server (vmess inbound → freedom over UDP).
 */
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { freePorts, waitForPort } from '../../../../test/support/ports.js';
import { startV2Ray, v2rayAvailable } from '../../../../test/support/v2ray.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
const quiet = { write: () => {} };
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function udpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (datagram, from) => socket.send(datagram.map((byte) => byte ^ 0x5a), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** Sends each datagram (retrying while the path comes up) and returns the answers. */
async function exchange(port: number, datagrams: Buffer[]): Promise<Buffer[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  const answers: Buffer[] = [];
  for (const datagram of datagrams) {
    let answer: Buffer | undefined;
    for (let attempt = 0; attempt < 20 && !answer; attempt += 1) {
      socket.send(datagram, port, '127.0.0.1');
      answer = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => { socket.off('message', onMessage); resolve(undefined); }, 500);
        const onMessage = (reply: Buffer) => { clearTimeout(timer); resolve(reply); };
        socket.once('message', onMessage);
      });
    }
    if (!answer) throw new Error(`no answer to a ${datagram.length}-byte datagram`);
    answers.push(answer);
  }
  return answers;
}

const datagrams = [1, 300, 1400, 2].map((size) => Buffer.alloc(size, size % 200));
const expected = datagrams.map((datagram) => datagram.map((byte) => byte ^ 0x5a));

describe.skipIf(!v2rayAvailable())('UDP over VMess against v2ray 4.34', () => {
  it('Porthole client → v2ray server', async () => {
    const echoPort = await udpEcho();
    const [serverPort = 0, entryPort = 0] = await freePorts(2);
    const server = startV2Ray({
      log: { loglevel: 'warning' },
      inbounds: [{ listen: '127.0.0.1', port: serverPort, protocol: 'vmess', settings: { clients: [{ id: UUID }] } }],
      outbounds: [{ protocol: 'freedom' }],
    });
    cleanups.push(() => server.stop());
    await waitForPort(serverPort);
    const client = new Instance(loadConfig([{ name: 'client.json', text: JSON.stringify({
      inbounds: [{ listen: '127.0.0.1', port: entryPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: echoPort, network: 'udp' } }],
      outbounds: [{ protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: UUID }] }] } }],
    }) }]), { logSinks: { error: quiet, access: quiet } });
    await client.start();
    cleanups.push(() => client.close());
    expect(await exchange(entryPort, datagrams)).toEqual(expected);
  });

  it('v2ray client → Porthole server', async () => {
    const echoPort = await udpEcho();
    const [serverPort = 0, entryPort = 0] = await freePorts(2);
    const server = new Instance(loadConfig([{ name: 'server.json', text: JSON.stringify({
      inbounds: [{ listen: '127.0.0.1', port: serverPort, protocol: 'vmess', settings: { clients: [{ id: UUID }] } }],
      outbounds: [{ protocol: 'freedom' }],
    }) }]), { logSinks: { error: quiet, access: quiet } });
    await server.start();
    cleanups.push(() => server.close());
    const client = startV2Ray({
      log: { loglevel: 'warning' },
      inbounds: [{ listen: '127.0.0.1', port: entryPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: echoPort, network: 'udp' } }],
      outbounds: [{ protocol: 'vmess', settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: UUID, alterId: 0 }] }] } }],
    });
    cleanups.push(() => client.stop());
    expect(await exchange(entryPort, datagrams)).toEqual(expected);
  });
});
