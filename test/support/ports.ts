import dgram from 'node:dgram';
import net from 'node:net';

/**
 * Below Linux's ephemeral range (32768–60999): the kernel never hands these out as the source port
 * of an outgoing connection, which a port from the ephemeral range could become between this
 * check and its use while other test files open thousands of connections.
 */
const TEST_PORTS = { first: 20_000, count: 12_768 };

function bindable(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** A port that was free a moment ago on 127.0.0.1 (for configs of external processes). */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await bindable(TEST_PORTS.first + Math.floor(Math.random() * TEST_PORTS.count));
    if (port !== undefined) return port;
  }
  const port = await bindable(0);
  if (port === undefined) throw new Error('no free TCP port on 127.0.0.1');
  return port;
}

export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** True when a UDP socket can bind 127.0.0.1:port right now. */
async function udpPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => { socket.close(); resolve(false); });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * Ports free for both TCP and UDP a moment ago, for a listener that takes both (a dokodemo-door
 * with network "tcp,udp"): an ephemeral TCP port's number may be some other test's UDP socket.
 */
export async function freeTcpUdpPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) {
    const port = await freePort();
    if (await udpPortFree(port)) ports.add(port);
  }
  return [...ports];
}

/** Resolves once something accepts TCP connections on host:port; polls, never sleeps blindly. */
/** `count` consecutive ports free on 127.0.0.1 a moment ago (a port and a range after it, as a portal takes them). */
export async function freePortRun(count: number): Promise<number> {
  const free = (port: number) => new Promise<boolean>((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 30_000 + Math.floor(Math.random() * 25_000);
    let ok = true;
    for (let port = base; port < base + count && ok; port += 1) ok = await free(port);
    if (ok) return base;
  }
  throw new Error(`no run of ${count} free ports on 127.0.0.1`);
}

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Polls `check` until it returns true; `what` may be a function, to describe the state at the timeout. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what: string | (() => string) = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
