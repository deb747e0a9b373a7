import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SOCKET_WRITE_BUFFER_BYTES, closeServer, dialTcp, listenTcp } from './tcp.js';

describe('engine TCP sockets', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it(`buffer ${SOCKET_WRITE_BUFFER_BYTES / 1024} KiB of writes before asking for backpressure, accepted and dialled alike`, async () => {
    let onAccepted: (socket: net.Socket) => void = () => {};
    const acceptedOnce = new Promise<net.Socket>((resolve) => { onAccepted = resolve; });
    const server = await listenTcp({ host: '127.0.0.1', port: 0 }, (socket) => onAccepted(socket));
    cleanup.push(() => closeServer(server));
    const { port } = server.address() as net.AddressInfo;
    const dialled = await dialTcp('127.0.0.1', port);
    const accepted = await acceptedOnce;
    cleanup.push(() => { dialled.destroy(); accepted.destroy(); });
    expect(dialled.writableHighWaterMark).toBe(SOCKET_WRITE_BUFFER_BYTES);
    expect(accepted.writableHighWaterMark).toBe(SOCKET_WRITE_BUFFER_BYTES);
    // A write of one socket read's worth (64 KiB) is still accepted without backpressure.
    expect(dialled.write(Buffer.alloc(SOCKET_WRITE_BUFFER_BYTES - 1))).toBe(true);
  });
});
