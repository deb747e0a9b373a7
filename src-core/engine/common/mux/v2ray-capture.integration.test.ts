/**
 * Live Mux.Cool frames from the real V2Ray 4.34 (`/usr/bin/v2ray`), without VMess: the mux link of a
 * reverse proxy can be carried by any inbound/outbound, so
 * - portal side: a dokodemo-door inbound whose fixed target is the portal domain hands a plain TCP
 *   connection to the portal, which becomes its mux client (control session, internet sessions);
 * - bridge side: the bridge's link dial is routed to a freedom outbound that redirects it to a plain
 *   TCP listener here, which plays the portal.
 * Every byte v2ray writes is parsed with FrameReader and re-encoded with encodeFrame, and the result
 * must equal the captured stream exactly. With PORTHOLE_UPDATE_CAPTURES=1 the streams are also saved
 * to testdata/v2ray-4.34-captures.json, which frame.test.ts uses as fixed vectors.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlState, decodeControl, encodeControl } from '../../app/reverse/control.js';
import { AddressType } from './address.js';
import { CONTROL_DOMAIN, MAX_STREAM_DATA } from './consts.js';
import { type MuxFrame, FrameOption, FrameStatus, TargetNetwork, encodeFrame } from './frame.js';
import { FrameReader } from './reader.js';
import { encodeControlNewFrame, encodeKeepFrame } from './testdata/frames.js';
import { encodeEndFrame, encodeNewFrame } from './writer.js';
import { type CaptureFile, type CapturedFrame, type CapturedStream, describeFrame } from './testdata/captures.js';
import { freeTcpUdpPorts } from '../../../../test/support/ports.js';

const V2RAY = '/usr/bin/v2ray';
const LINK_DOMAIN = 'portal.porthole.test';
const INTERNET_PORT = 20002;
const CAPTURE_FILE = new URL('./testdata/v2ray-4.34-captures.json', import.meta.url);

/** Collects the frames arriving on one socket and lets a test wait for a particular one. */
class FrameTap {
  readonly raw: Buffer[] = [];
  readonly frames: MuxFrame[] = [];
  readonly #reader = new FrameReader({
    isPacketSession: (meta) =>
      meta.status === FrameStatus.New ? meta.target.network === TargetNetwork.UDP : meta.sessionId === 1,
  });
  #wake: (() => void) | undefined;

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      const { frames, error } = this.#reader.push(chunk);
      if (error) throw error;
      this.frames.push(...frames);
      this.#wake?.();
    });
  }

  /** The first frame (from index `from`) that matches; fails after `timeoutMs`. */
  async waitFor(what: string, match: (frame: MuxFrame) => boolean, timeoutMs = 6000, from = 0): Promise<MuxFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  get stream(): Buffer {
    return Buffer.concat(this.raw);
  }
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

function nextConnection(server: net.Server, timeoutMs = 6000): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out waiting for a connection')), timeoutMs);
    server.once('connection', (socket: net.Socket) => {
      clearTimeout(timer);
      resolve(socket);
    });
  });
}

/** Runs v2ray with `config` and resolves once it logged that it started. */
async function startV2ray(config: object, cleanups: Array<() => Promise<void> | void>): Promise<ChildProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'porthole-mux-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(V2RAY, ['-config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    child.kill();
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`v2ray did not start:\n${log}`)), 10_000);
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('V2Ray 4.34.0 started')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`v2ray exited (${String(code)}):\n${log}`)));
  });
  return child;
}

/** Byte ranges of the frames in `stream` (their re-encoding must reproduce it exactly). */
function splitFrames(stream: Buffer, frames: readonly MuxFrame[]): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  for (const frame of frames) {
    const encoded = encodeFrame(frame.meta, frame.data);
    out.push(stream.subarray(at, at + encoded.length));
    at += encoded.length;
  }
  return out;
}

function captured(name: string, frame: Buffer, decoded: MuxFrame): CapturedFrame {
  return { name, hex: frame.toString('hex'), expected: describeFrame(decoded) };
}

const isControlNew = (f: MuxFrame): boolean =>
  f.meta.status === FrameStatus.New && f.meta.target.address.host === CONTROL_DOMAIN;

const updates: { portal?: CapturedStream; bridge?: CapturedStream } = {};

describe.skipIf(!existsSync(V2RAY))('live frames from v2ray 4.34', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('portal (mux client): control channel, TCP and UDP sessions, End for unknown IDs, heartbeat, DRAIN', async () => {
    // The external inbound takes TCP and UDP: its port must be free for both.
    const [externalPort = 0, linkPort = 0] = await freeTcpUdpPorts(2);
    await startV2ray(
      {
        log: { loglevel: 'warning' },
        inbounds: [
          { tag: 'link-in', listen: '127.0.0.1', port: linkPort, protocol: 'dokodemo-door',
            settings: { address: LINK_DOMAIN, port: 0, network: 'tcp' } },
          { tag: 'external', listen: '127.0.0.1', port: externalPort, protocol: 'dokodemo-door',
            settings: { address: '127.0.0.1', port: INTERNET_PORT, network: 'tcp,udp' } },
        ],
        outbounds: [{ tag: 'block', protocol: 'blackhole' }],
        reverse: { portals: [{ tag: 'portal', domain: LINK_DOMAIN }] },
        routing: { rules: [
          { type: 'field', inboundTag: ['link-in'], outboundTag: 'portal' },
          { type: 'field', inboundTag: ['external'], outboundTag: 'portal' },
        ] },
      },
      cleanups,
    );
    const sockets: net.Socket[] = [];
    cleanups.push(() => sockets.forEach((socket) => socket.destroy()));
    const link = await connect(linkPort);
    sockets.push(link);
    const tap = new FrameTap(link);

    const controlNew = await tap.waitFor('control New', isControlNew);
    expect(controlNew.meta).toEqual({
      sessionId: 1, status: FrameStatus.New, option: controlNew.meta.option,
      target: { network: TargetNetwork.UDP, address: { type: AddressType.Domain, host: CONTROL_DOMAIN }, port: 0 },
    });

    const external = await connect(externalPort);
    sockets.push(external);
    const served = new Promise<string>((resolve) => {
      let text = '';
      external.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (text.length >= 5) resolve(text);
      });
    });
    external.write('hello');
    const tcpNew = await tap.waitFor('New for the TCP session', (f) => f.meta.sessionId === 2 && f.meta.status === FrameStatus.New);
    expect(tcpNew.meta).toEqual({
      sessionId: 2, status: FrameStatus.New, option: FrameOption.Data,
      target: { network: TargetNetwork.TCP, address: { type: AddressType.IPv4, host: '127.0.0.1' }, port: INTERNET_PORT },
    });
    expect(tcpNew.data?.toString()).toBe('hello');

    link.write(encodeKeepFrame(2, Buffer.from('serve')));
    link.write(encodeKeepFrame(77, Buffer.from('abc')));
    await tap.waitFor('End for unknown session 77', (f) => f.meta.sessionId === 77);
    expect(await served).toBe('serve');
    external.end();
    await tap.waitFor('End for session 2', (f) => f.meta.sessionId === 2 && f.meta.status === FrameStatus.End);

    const udp = dgram.createSocket('udp4');
    cleanups.push(() => {
      udp.close();
    });
    udp.send('dgram1', externalPort, '127.0.0.1');
    const udpNew = await tap.waitFor('New for the UDP session', (f) => f.meta.sessionId === 3);
    expect(udpNew.meta).toMatchObject({ status: FrameStatus.New, target: { network: TargetNetwork.UDP, port: INTERNET_PORT } });
    expect(udpNew.data?.toString()).toBe('dgram1');

    const heartbeat = await tap.waitFor('heartbeat', (f) => f.meta.sessionId === 1 && f.meta.status === FrameStatus.Keep);
    const beat = decodeControl(heartbeat.data ?? Buffer.alloc(0));
    expect(beat.state).toBe(ControlState.Active);
    expect(beat.random.length).toBeLessThan(64);

    // 3 sessions so far plus 254 idle ones: the next heartbeat sees 257 > 256 and drains.
    for (let i = 0; i < 254; i++) sockets.push(await connect(externalPort));
    const drain = await tap.waitFor('DRAIN', (f) => f.meta.sessionId === 1 && f.data !== undefined && decodeControl(f.data).state === ControlState.Drain, 8000);
    const drainIndex = tap.frames.indexOf(drain);
    const endControl = await tap.waitFor('End on session 1', (f) => f.meta.sessionId === 1 && f.meta.status === FrameStatus.End, 2000, drainIndex);
    const idleNew = tap.frames.find((f) => f.meta.sessionId === 4);
    expect(idleNew?.meta).toMatchObject({ status: FrameStatus.New, option: 0 });

    const stream = tap.stream;
    expect(Buffer.concat(tap.frames.map((f) => encodeFrame(f.meta, f.data))).equals(stream)).toBe(true);
    const slices = splitFrames(stream, tap.frames);
    const pick = (name: string, frame: MuxFrame | undefined): CapturedFrame => {
      const index = frame ? tap.frames.indexOf(frame) : -1;
      const slice = slices[index];
      if (!frame || !slice) throw new Error(`missing ${name}`);
      return captured(name, slice, frame);
    };
    updates.portal = {
      description: 'portal → bridge (the portal is the mux client), as read from a dokodemo-door link',
      streamHex: stream.toString('hex'),
      frames: [
        pick('control New + first Control', controlNew),
        pick('New + Data, TCP 127.0.0.1:20002, "hello"', tcpNew),
        pick('End answering Keep + Data for unknown session 77', tap.frames.find((f) => f.meta.sessionId === 77)),
        pick('End (option 0) after the internet side closed', tap.frames.find((f) => f.meta.sessionId === 2 && f.meta.status === FrameStatus.End)),
        pick('New + Data, UDP 127.0.0.1:20002, "dgram1"', udpNew),
        pick('bare New after the 100 ms first-payload wait', idleNew),
        pick('heartbeat Control (ACTIVE) as Keep + Data', heartbeat),
        pick('Control DRAIN', drain),
        pick('End on the control session after DRAIN', endControl),
      ],
    };
  }, 30_000);

  it('bridge (mux server): Keep + Data, End, End for unknown IDs, End + Error, frame splitting, new link on DRAIN', async () => {
    const linkServer = net.createServer();
    const echoServer = net.createServer((socket) => {
      socket.on('data', (data: Buffer) => {
        if (data.toString() === 'big') socket.end(Buffer.alloc(20_000, 0x61));
        else socket.end(Buffer.from(data.toString().toUpperCase()));
      });
    });
    const sockets: net.Socket[] = [];
    cleanups.push(async () => {
      sockets.forEach((socket) => socket.destroy());
      await Promise.all([linkServer, echoServer].map((server) => new Promise((resolve) => server.close(resolve))));
    });
    linkServer.on('connection', (socket: net.Socket) => sockets.push(socket));
    echoServer.on('connection', (socket: net.Socket) => sockets.push(socket));
    const [linkPort, echoPort] = [await listen(linkServer), await listen(echoServer)];
    const firstLink = nextConnection(linkServer);
    await startV2ray(
      {
        log: { loglevel: 'warning' },
        outbounds: [
          { tag: 'link', protocol: 'freedom', settings: { redirect: `127.0.0.1:${linkPort}` } },
          { tag: 'out', protocol: 'freedom', settings: { redirect: `127.0.0.1:${echoPort}` } },
        ],
        reverse: { bridges: [{ tag: 'bridge', domain: LINK_DOMAIN }] },
        routing: { rules: [
          { type: 'field', inboundTag: ['bridge'], domain: [`full:${LINK_DOMAIN}`], outboundTag: 'link' },
          { type: 'field', inboundTag: ['bridge'], outboundTag: 'out' },
        ] },
      },
      cleanups,
    );
    const link = await firstLink;
    const tap = new FrameTap(link);
    const internet = { network: TargetNetwork.TCP, address: { type: AddressType.IPv4, host: '127.0.0.1' }, port: INTERNET_PORT } as const;

    link.write(encodeControlNewFrame(encodeControl(ControlState.Active, Buffer.from('a'))));
    link.write(encodeNewFrame(2, internet, Buffer.from('pong')));
    const reply = await tap.waitFor('Keep + Data on session 2', (f) => f.meta.sessionId === 2 && f.meta.status === FrameStatus.Keep);
    expect(reply.data?.toString()).toBe('PONG');
    const end2 = await tap.waitFor('End on session 2', (f) => f.meta.sessionId === 2 && f.meta.status === FrameStatus.End);
    expect(end2.meta.option).toBe(0);

    link.write(encodeKeepFrame(9, Buffer.from('abc')));
    const end9 = await tap.waitFor('End for unknown session 9', (f) => f.meta.sessionId === 9);
    expect(end9.meta).toEqual({ sessionId: 9, status: FrameStatus.End, option: 0 });

    link.write(encodeNewFrame(3, internet));
    link.write(encodeEndFrame(3, true));
    const end3 = await tap.waitFor('End + Error on session 3', (f) => f.meta.sessionId === 3);
    expect(end3.meta).toEqual({ sessionId: 3, status: FrameStatus.End, option: FrameOption.Error });

    const stream = tap.stream;
    expect(Buffer.concat(tap.frames.map((f) => encodeFrame(f.meta, f.data))).equals(stream)).toBe(true);
    const slices = splitFrames(stream, tap.frames);
    const frame = (f: MuxFrame): CapturedFrame => {
      const slice = slices[tap.frames.indexOf(f)];
      if (!slice) throw new Error('missing frame');
      return captured('', slice, f);
    };
    updates.bridge = {
      description: 'bridge → portal (the bridge is the mux server), as read from a freedom-redirected link',
      streamHex: stream.toString('hex'),
      frames: [
        { ...frame(reply), name: 'Keep + Data "PONG" (the reply to New + Data "pong")' },
        { ...frame(end2), name: 'End (option 0) after the target closed' },
        { ...frame(end9), name: 'End answering Keep + Data for unknown session 9' },
        { ...frame(end3), name: 'End + Error answering End + Error' },
      ],
    };

    // A 20 000-byte reply goes out in frames of at most 8192 bytes.
    link.write(encodeNewFrame(4, internet, Buffer.from('big')));
    await tap.waitFor('End on session 4', (f) => f.meta.sessionId === 4 && f.meta.status === FrameStatus.End);
    const pieces = tap.frames.filter((f) => f.meta.sessionId === 4 && f.data !== undefined);
    expect(pieces.every((f) => (f.data?.length ?? 0) <= MAX_STREAM_DATA)).toBe(true);
    expect(Buffer.concat(pieces.map((f) => f.data ?? Buffer.alloc(0))).equals(Buffer.alloc(20_000, 0x61))).toBe(true);

    // DRAIN makes the bridge dial a new link at its next 2-second tick.
    const secondLink = nextConnection(linkServer, 6000);
    link.write(encodeKeepFrame(1, encodeControl(ControlState.Drain, Buffer.from('a'))));
    await secondLink;
    expect(tap.frames.some((f) => f.meta.sessionId === 1)).toBe(false);

    if (process.env.PORTHOLE_UPDATE_CAPTURES === '1' && updates.portal) {
      const file: CaptureFile = {
        source: 'V2Ray 4.34.0 (Debian 4.34.0+ds-1, go1.19.8), captured by v2ray-capture.integration.test.ts',
        portal: updates.portal,
        bridge: updates.bridge,
      };
      writeFileSync(CAPTURE_FILE, `${JSON.stringify(file, null, 2)}\n`);
    }
  }, 30_000);
});
