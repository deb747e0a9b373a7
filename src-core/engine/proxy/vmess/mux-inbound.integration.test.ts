/**
 * A mux-enabled V2Ray client (`"mux": {"enabled": true}`, VMess command 0x03) against a Porthole
 * VMess inbound: the Mux.Cool sessions inside one VMess connection are dispatched one by one, so
 * a V2Ray server config that also serves such clients keeps working when Porthole runs it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.js';
import { Instance } from '../../instance.js';
import { deterministicBytes, xor5a } from '../../../../test/support/data.js';
import { freePorts, waitForPort } from '../../../../test/support/ports.js';
import { echoThrough, startXorEcho, type RunningServer } from '../../../../test/support/upstream.js';
import { startV2Ray, v2rayAvailable, type V2RayProcess } from '../../../../test/support/v2ray.js';

const UUID = '27848739-7e62-4138-9fd3-098a63964b6b';
/** PORTHOLE_TEST_LOG=1 shows both sides' logs at debug level. */
const debug = process.env.PORTHOLE_TEST_LOG === '1';
const quiet = { write: (line: string) => { if (debug) console.log(line); } };

describe.skipIf(!v2rayAvailable())('VMess command 0x03 (Mux.Cool) from a mux-enabled v2ray client', () => {
  let echo: RunningServer;
  let server: Instance;
  let client: V2RayProcess;
  let clientPort: number;

  beforeAll(async () => {
    echo = await startXorEcho();
    const [serverPort = 0, entryPort = 0] = await freePorts(2);
    clientPort = entryPort;
    server = new Instance(loadConfig([{ name: 'server.json', text: JSON.stringify({
      log: { loglevel: debug ? 'debug' : 'warning' },
      inbounds: [{ tag: 'vmess-in', listen: '127.0.0.1', port: serverPort, protocol: 'vmess', settings: { clients: [{ id: UUID }] } }],
      outbounds: [{ tag: 'direct', protocol: 'freedom' }],
    }) }]), { logSinks: { error: quiet, access: quiet } });
    await server.start();
    client = startV2Ray({
      log: { loglevel: debug ? 'debug' : 'warning' },
      inbounds: [{ tag: 'entry', listen: '127.0.0.1', port: entryPort, protocol: 'dokodemo-door', settings: { address: '127.0.0.1', port: echo.port, network: 'tcp' } }],
      outbounds: [{
        protocol: 'vmess',
        settings: { vnext: [{ address: '127.0.0.1', port: serverPort, users: [{ id: UUID, alterId: 0 }] }] },
        mux: { enabled: true, concurrency: 8 },
      }],
    });
    await waitForPort(entryPort);
  });

  afterAll(async () => {
    await client?.stop();
    await server?.close();
    await echo?.close();
  });

  it('carries several streams over one VMess connection, every byte intact, each dispatched on its own', async () => {
    const payloads = Array.from({ length: 8 }, (_, index) => deterministicBytes(index + 1, 64 * 1024 + index * 1000));
    // The client closes after its echo: 4.34's mux client drops a session whose input ends early.
    const echoed = await Promise.all(payloads.map((payload) => echoThrough(clientPort, payload, { closeAfterEcho: true, timeoutMs: 20_000 })));
    if (debug) console.log(client.output());
    echoed.forEach((bytes, index) => expect([index, bytes.length, bytes.equals(xor5a(payloads[index]!))]).toEqual([index, payloads[index]!.length, true]));
    const rows = server.stats.snapshot();
    // Each stream is a connection of its own to the echo; none goes to the mux pseudo-domain.
    expect(rows.filter((row) => row.target === `tcp:127.0.0.1:${echo.port}`).length).toBe(8);
    expect(rows.some((row) => row.target.includes('v1.mux.cool'))).toBe(false);
    expect(client.output()).not.toMatch(/\[(Warning|Error)\](?! v2ray\.com\/core: V2Ray [\d.]+ started)/);
  });
});
