/**
 * The `socks` inbound against the real v2ray 4.34 on 127.0.0.1: the same SOCKS clients (written
 * here over net.Socket and dgram) run through Porthole's inbound and through v2ray's, to an XOR
 * echo (TCP and UDP), and must get the same answers byte for byte: SOCKS 5 without and with a
 * password, SOCKS 4 and 4a, UDP ASSOCIATE; and bad input (a malformed greeting, a wrong password,
 * BIND) gets 4.34's refusal and a close, with one log line naming the peer on Porthole while
 * another connection carries on.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freeTcpUdpPorts, waitForPort, waitUntil } from '../../../../test/support/ports.js';
import { startXorEcho } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable } from '../../../../test/support/v2ray.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Side = 'porthole' | 'v2ray';

/** A socks inbound without auth (UDP on) on `open`, one with a password on `locked`. */
function config(open: number, locked: number): object {
  return {
    log: { loglevel: 'warning' },
    inbounds: [
      { tag: 'socks-open', listen: '127.0.0.1', port: open, protocol: 'socks', settings: { auth: 'noauth', udp: true } },
      { tag: 'socks-locked', listen: '127.0.0.1', port: locked, protocol: 'socks', settings: { auth: 'password', accounts: [{ user: 'alice', pass: 'secret' }] } },
    ],
    outbounds: [{ protocol: 'freedom' }],
  };
}

async function start(side: Side, lines: string[]): Promise<{ open: number; locked: number }> {
  const [open = 0, locked = 0] = await freeTcpUdpPorts(2);
  if (side === 'v2ray') {
    const process = startV2Ray(config(open, locked));
    cleanups.push(() => process.stop());
    await waitForPort(open);
    await waitForPort(locked);
  } else {
    const sink = { write: (line: string) => { lines.push(line); } };
    const instance = new Instance(loadConfig([{ name: 'porthole.json', text: JSON.stringify(config(open, locked)) }]), { logSinks: { error: sink, access: { write: () => {} } } });
    await instance.start();
    cleanups.push(() => instance.close());
  }
  return { open, locked };
}

/** Sends `steps` one by one (each after the previous answer's bytes arrived), then `payload`; returns all answers. */
function exchange(port: number, steps: Array<{ send: Buffer; expect: number }>, payload?: Buffer, timeoutMs = 5000): Promise<{ answers: string[]; body: Buffer; closedBy: string }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let received = Buffer.alloc(0);
    const answers: string[] = [];
    let index = 0;
    const finish = (closedBy: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ answers, body: received, closedBy });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const next = () => {
      while (index < steps.length && received.length >= steps[index]!.expect) {
        answers.push(received.subarray(0, steps[index]!.expect).toString('hex'));
        received = received.subarray(steps[index]!.expect);
        index += 1;
        if (index < steps.length) socket.write(steps[index]!.send);
        else if (payload) socket.end(payload);
      }
    };
    socket.on('connect', () => socket.write(steps[0]!.send));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (index < steps.length) next();
    });
    socket.on('end', () => finish('end'));
    socket.on('error', () => finish('end'));
  });
}

const portBytes = (port: number) => Buffer.from([port >> 8, port & 0xff]);
const connectTo = (port: number) => Buffer.concat([Buffer.from([5, 1, 0, 1, 127, 0, 0, 1]), portBytes(port)]);
/** The reply names the inbound's own port: written as PORT so both sides compare. */
const normalise = (hex: string, inboundPort: number) => hex.replace(portBytes(inboundPort).toString('hex'), 'PORT');

async function udpThrough(relay: { host: string; port: number }, echoPort: number, datagrams: Buffer[]): Promise<string[]> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  const header = Buffer.concat([Buffer.from([0, 0, 0, 1, 127, 0, 0, 1]), portBytes(echoPort)]);
  const answers: string[] = [];
  for (const datagram of datagrams) {
    let answer: Buffer | undefined;
    for (let attempt = 0; attempt < 10 && !answer; attempt += 1) {
      socket.send(Buffer.concat([header, datagram]), relay.port, relay.host);
      answer = await new Promise<Buffer | undefined>((resolve) => {
        const timer = setTimeout(() => { socket.off('message', onMessage); resolve(undefined); }, 500);
        const onMessage = (reply: Buffer) => { clearTimeout(timer); resolve(reply); };
        socket.once('message', onMessage);
      });
    }
    answers.push(answer ? answer.toString('hex') : 'none');
  }
  return answers;
}

async function udpEcho(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (datagram, from) => socket.send(xor5a(datagram), from.port, from.address));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => socket.close(() => resolve())));
  return socket.address().port;
}

/** Everything one side answers, normalised (inbound ports written as PORT). */
async function runAll(side: Side, lines: string[]): Promise<unknown> {
  const echo = await startXorEcho();
  cleanups.push(() => echo.close());
  const { open, locked } = await start(side, lines);
  const payload = deterministicBytes(7, 200_000);
  const socks5 = await exchange(open, [{ send: Buffer.from([5, 1, 0]), expect: 2 }, { send: connectTo(echo.port), expect: 10 }], payload, 15_000);
  const password = await exchange(locked, [
    { send: Buffer.from([5, 2, 0, 2]), expect: 2 },
    { send: Buffer.from([1, 5, ...Buffer.from('alice'), 6, ...Buffer.from('secret')]), expect: 2 },
    { send: connectTo(echo.port), expect: 10 },
  ], Buffer.from('hello'));
  const socks4 = await exchange(open, [{ send: Buffer.concat([Buffer.from([4, 1]), portBytes(echo.port), Buffer.from([127, 0, 0, 1]), Buffer.from('me\0')]), expect: 8 }], Buffer.from('four'));
  const socks4a = await exchange(open, [{ send: Buffer.concat([Buffer.from([4, 1]), portBytes(echo.port), Buffer.from([0, 0, 0, 1]), Buffer.from('me\0localhost\0')]), expect: 8 }], Buffer.from('four-a'));
  // UDP ASSOCIATE: the reply names where to send datagrams; the association lasts while its TCP connection is open.
  const association = net.connect({ host: '127.0.0.1', port: open });
  cleanups.push(() => { association.destroy(); });
  const reply = await new Promise<Buffer>((resolve) => {
    let got = Buffer.alloc(0);
    association.on('connect', () => association.write(Buffer.from([5, 1, 0, 5, 3, 0, 1, 0, 0, 0, 0, 0, 0])));
    association.on('data', (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      if (got.length >= 12) resolve(got);
    });
  });
  // The method choice (2 bytes), then VER REP RSV ATYP=1 IPv4 PORT.
  const relay = { host: `${reply[6]}.${reply[7]}.${reply[8]}.${reply[9]}`, port: reply.readUInt16BE(10) };
  const udpPort = await udpEcho();
  const datagrams = [Buffer.from('ping'), deterministicBytes(3, 1200)];
  const udp = await udpThrough(relay, udpPort, datagrams);
  return {
    socks5: { answers: socks5.answers.map((a) => normalise(a, open)), echoed: socks5.body.equals(xor5a(payload)), closedBy: socks5.closedBy },
    password: { answers: password.answers.map((a) => normalise(a, locked)), body: password.body.toString('hex') },
    socks4: { answers: socks4.answers, body: socks4.body.toString('hex') },
    socks4a: { answers: socks4a.answers, body: socks4a.body.toString('hex') },
    udpAssociate: normalise(reply.toString('hex'), open),
    udp: udp.map((answer) => answer.replace(`000000017f000001${portBytes(udpPort).toString('hex')}`, '000000017f000001ECHO')),
  };
}

/** Bad input: the bytes each side answers and how it closes. */
async function runBad(side: Side, lines: string[]): Promise<unknown> {
  const { open, locked } = await start(side, lines);
  // A good connection held open across the bad ones must carry on.
  const echo = await startXorEcho();
  cleanups.push(() => echo.close());
  const good = net.connect({ host: '127.0.0.1', port: open });
  cleanups.push(() => { good.destroy(); });
  let goodBytes = Buffer.alloc(0);
  good.on('data', (chunk: Buffer) => { goodBytes = Buffer.concat([goodBytes, chunk]); });
  good.on('connect', () => good.write(Buffer.concat([Buffer.from([5, 1, 0]), connectTo(echo.port)])));
  await waitUntil(() => goodBytes.length >= 12, 5000, 'the good connection\'s replies');
  const malformed = await exchange(open, [{ send: Buffer.from([6, 1, 0]), expect: 0 }]);
  const wrongPassword = await exchange(locked, [
    { send: Buffer.from([5, 1, 2]), expect: 2 },
    { send: Buffer.from([1, 5, ...Buffer.from('alice'), 5, ...Buffer.from('wrong')]), expect: 2 },
  ]);
  const noMethod = await exchange(locked, [{ send: Buffer.from([5, 1, 0]), expect: 2 }]);
  const bind = await exchange(open, [{ send: Buffer.from([5, 1, 0]), expect: 2 }, { send: Buffer.from([5, 2, 0, 1, 127, 0, 0, 1, 0, 80]), expect: 10 }]);
  const socks4WithPassword = await exchange(locked, [{ send: Buffer.from([4, 1, 0, 80, 127, 0, 0, 1, 0]), expect: 8 }]);
  good.write('still here');
  await waitUntil(() => goodBytes.length >= 22, 5000, 'the good connection\'s echo');
  return {
    malformed: { answers: malformed.answers, rest: malformed.body.toString('hex'), closedBy: malformed.closedBy },
    wrongPassword: { answers: wrongPassword.answers, closedBy: wrongPassword.closedBy },
    noMethod: { answers: noMethod.answers, closedBy: noMethod.closedBy },
    bind: { answers: bind.answers, closedBy: bind.closedBy },
    socks4WithPassword: { answers: socks4WithPassword.answers, closedBy: socks4WithPassword.closedBy },
    goodEcho: goodBytes.subarray(12).equals(xor5a(Buffer.from('still here'))),
  };
}

const datagramsBack = [Buffer.from('ping'), deterministicBytes(3, 1200)].map(xor5a);

describe.skipIf(!v2rayAvailable())('socks inbound: Porthole answers as v2ray 4.34 does', () => {
  it('SOCKS 5 (no auth, password), SOCKS 4 and 4a, UDP ASSOCIATE: byte-exact, same as v2ray', async () => {
    const porthole = await runAll('porthole', []);
    const v2ray = await runAll('v2ray', []);
    expect(porthole).toEqual(v2ray);
    expect(porthole).toMatchObject({
      socks5: { answers: ['0500', '050000017f000001PORT'], echoed: true, closedBy: 'end' },
      password: { answers: ['0502', '0100', '050000017f000001PORT'], body: xor5a(Buffer.from('hello')).toString('hex') },
      socks4: { answers: ['005a000000000000'], body: xor5a(Buffer.from('four')).toString('hex') },
      udpAssociate: '0500050000017f000001PORT',
    });
    expect((porthole as { udp: string[] }).udp).toEqual(datagramsBack.map((payload) => `000000017f000001ECHO${payload.toString('hex')}`));
  }, 60_000);

  it('bad input: refused as v2ray refuses it, one log line naming the peer each, others undisturbed', async () => {
    const lines: string[] = [];
    const porthole = await runBad('porthole', lines);
    const v2ray = await runBad('v2ray', []);
    expect(porthole).toEqual(v2ray);
    expect(porthole).toMatchObject({ malformed: { answers: [], rest: '' }, wrongPassword: { answers: ['0502', '01ff'] }, noMethod: { answers: ['05ff'] }, goodEcho: true });
    await waitUntil(() => lines.filter((line) => line.includes('rejected a connection from 127.0.0.1:')).length >= 5, 2000, 'five log lines');
    expect(lines.filter((line) => line.includes('rejected')).map((line) => line.replace(/^.*?(rejected)/, '$1').replace(/:\d+:/, ':PORT:'))).toEqual([
      'rejected a connection from 127.0.0.1:PORT: socks: unknown Socks version: 6',
      'rejected a connection from 127.0.0.1:PORT: socks: invalid username or password (user "alice")',
      'rejected a connection from 127.0.0.1:PORT: socks: no matching auth method',
      'rejected a connection from 127.0.0.1:PORT: socks: TCP bind is not supported',
      'rejected a connection from 127.0.0.1:PORT: socks: socks 4 is not allowed when auth is required',
    ]);
  }, 60_000);
});
