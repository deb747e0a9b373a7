import type net from 'node:net';
import { constants } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCEPT_RETRY_MIN_MS, SOCKET_WRITE_BUFFER_BYTES, closeServer, dialTcp, listenTcp } from './tcp.js';

/**
 * What Node does when libuv reports a failed accept (Windows when no socket can be made, libuv
 * before 1.45 on EMFILE): its connection callback gets the negative errno and the server emits
 * 'error'. Node 20 on Linux never gets there (libuv sheds the load itself), so the test calls it.
 */
function failAccept(server: net.Server, errno: number): void {
  const handle = (server as unknown as { _handle: { onconnection: (status: number) => void } })._handle;
  handle.onconnection.call(handle, -errno);
}

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

  it('listen again on the same port after an accept error (EMFILE), instead of an unhandled error that ends the process', async () => {
    const onAcceptError = vi.fn();
    const accepted: net.Socket[] = [];
    const server = await listenTcp({ host: '127.0.0.1', port: 0, onAcceptError }, (socket) => accepted.push(socket));
    cleanup.push(() => closeServer(server));
    const { port } = server.address() as net.AddressInfo;
    const before = await dialTcp('127.0.0.1', port);
    cleanup.push(() => { before.destroy(); for (const socket of accepted) socket.destroy(); });
    await vi.waitFor(() => expect(accepted).toHaveLength(1));
    failAccept(server, constants.errno.EMFILE);
    expect(onAcceptError).toHaveBeenCalledWith(expect.objectContaining({ code: 'EMFILE', syscall: 'accept' }), ACCEPT_RETRY_MIN_MS);
    expect(server.listening).toBe(false);
    await vi.waitFor(() => expect(server.listening).toBe(true), { timeout: 5 * ACCEPT_RETRY_MIN_MS });
    expect((server.address() as net.AddressInfo).port).toBe(port);
    const after = await dialTcp('127.0.0.1', port);
    cleanup.push(() => { after.destroy(); });
    await vi.waitFor(() => expect(accepted).toHaveLength(2));
    // The connection accepted before the error went on meanwhile.
    const received = new Promise<string>((resolve) => accepted[0]?.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    before.write('still here');
    expect(await received).toBe('still here');
  });

  it('stay closed when closed while waiting to listen again', async () => {
    const server = await listenTcp({ host: '127.0.0.1', port: 0 }, (socket) => socket.destroy());
    failAccept(server, constants.errno.ENFILE);
    await closeServer(server);
    await new Promise((resolve) => setTimeout(resolve, 2 * ACCEPT_RETRY_MIN_MS));
    expect(server.listening).toBe(false);
  });
});
