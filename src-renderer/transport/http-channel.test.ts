import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpChannel, UNREACHABLE_MESSAGE, type LinkStatus } from './http-channel.js';

/** A WebSocket stand-in the test opens and closes by hand. */
class FakeSocket {
  static all: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onmessage: ((message: { data: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  close() {
    this.onclose?.();
  }
}

type Server = 'up' | 'down' | 'new-token';

function harness() {
  FakeSocket.all = [];
  let server: Server = 'up';
  const calls: string[] = [];
  const fetchImpl = vi.fn(async (_url: string, init: { body: string }) => {
    calls.push((JSON.parse(init.body) as { method: string }).method);
    if (server === 'down') throw new TypeError('Failed to fetch');
    if (server === 'new-token') return new Response(JSON.stringify({ error: { code: 'PH_API_UNAUTHORIZED', message: 'missing or wrong token' } }), { status: 401 });
    return new Response(JSON.stringify({ result: { state: 'running' } }), { status: 200 });
  });
  const channel = createHttpChannel({ origin: 'http://127.0.0.1:7070', fetch: fetchImpl as unknown as typeof fetch, WebSocket: FakeSocket as unknown as typeof WebSocket });
  const statuses: LinkStatus[] = [];
  channel.onDidChangeLinkStatus((status) => statuses.push(status));
  return { channel, statuses, calls, set: (next: Server) => { server = next; }, socket: () => FakeSocket.all[FakeSocket.all.length - 1] };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the dashboard channel reconnects by itself', () => {
  it('goes offline when the socket drops, asks the server with backoff, and reopens the socket once it answers', async () => {
    vi.useFakeTimers();
    const { channel, statuses, calls, set, socket } = harness();
    channel.subscribe('snapshot', () => {});
    socket()?.onopen?.();
    expect(channel.linkStatus).toBe('live');

    set('down');
    socket()?.close();
    expect(channel.linkStatus).toBe('offline');
    await vi.advanceTimersByTimeAsync(500);
    await vi.advanceTimersByTimeAsync(1000);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls.filter((method) => method === 'getStatus')).toHaveLength(3);
    expect(FakeSocket.all).toHaveLength(1);

    set('up');
    await vi.advanceTimersByTimeAsync(4000);
    expect(FakeSocket.all).toHaveLength(2);
    socket()?.onopen?.();
    expect(channel.linkStatus).toBe('live');
    expect(statuses).toEqual(['live', 'offline', 'live']);
    channel.dispose();
  });

  it('a call while the server is away fails with a sentence for people (never "Failed to fetch") and starts reconnecting', async () => {
    vi.useFakeTimers();
    const { channel, set, socket } = harness();
    channel.subscribe('snapshot', () => {});
    socket()?.onopen?.();
    set('down');
    const failed = (await channel.call('startEngine', []).catch((error: unknown) => error)) as { code: string; message: string };
    expect(failed).toMatchObject({ code: 'PH_API_UNREACHABLE', message: UNREACHABLE_MESSAGE });
    expect(failed.message).not.toMatch(/Failed to fetch/);
    expect(channel.linkStatus).toBe('offline');
    channel.dispose();
  });

  it('says "unauthorized" when the restarted server no longer takes the token, and recovers if it does again', async () => {
    vi.useFakeTimers();
    const { channel, set, socket } = harness();
    channel.subscribe('snapshot', () => {});
    socket()?.onopen?.();
    set('new-token');
    socket()?.close();
    await vi.advanceTimersByTimeAsync(500);
    expect(channel.linkStatus).toBe('unauthorized');
    set('up');
    await vi.advanceTimersByTimeAsync(4000);
    socket()?.onopen?.();
    expect(channel.linkStatus).toBe('live');
    channel.dispose();
  });
});
