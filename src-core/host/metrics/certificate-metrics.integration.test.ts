/**
 * What the host reports about a certificate the engine gets itself (`tlsSettings.acme`), against
 * Pebble on loopback: the snapshot's `certificates` (what the Overview shows) and the
 * `porthole_certificate_expiration_timestamp_seconds` gauge on `/metrics`, for two inbounds that
 * get theirs answering the CA on one shared port, and one whose challenges the CA cannot reach.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePorts, waitUntil } from '../../../test/support/ports.js';
import { pebbleMissingReason, startPebble, type RunningPebble } from '../../engine/app/edge/certificates/testdata/pebble.js';
import { loadConfig } from '../../engine/config/index.js';
import { Instance } from '../../engine/instance.js';
import { certificatesOf } from '../service/engine-report.js';
import { parseExposition, sampleValue } from './exposition-parser.js';
import { createEngineMetrics } from './registry.js';

const quiet = { write: () => {} };

describe.skipIf(pebbleMissingReason() !== undefined)('certificates the engine gets itself, as the host reports them', () => {
  let folder = '';
  let pebble: RunningPebble;
  let instance: Instance;
  let challengePort = 0;

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'porthole-certificate-metrics-'));
    [challengePort = 0] = await freePorts(1);
    pebble = await startPebble({ httpPort: challengePort });
    const [good = 0, also = 0, bad = 0, elsewhere = 0] = await freePorts(4);
    const inbound = (tag: string, port: number, name: string, httpPort: number) => ({
      tag, listen: '127.0.0.1', port, protocol: 'vless', settings: { clients: [{ id: '0c2a4e8f-4b1d-4f6e-9a53-2f6d7c1b9e40' }], decryption: 'none' },
      streamSettings: { security: 'tls', tlsSettings: { serverName: name, acme: { directory: pebble.directoryUrl, caFile: pebble.httpsCaFile, storage: join(folder, 'acme'), httpPort } } },
    });
    instance = new Instance(loadConfig([{ name: 'portal.json', text: JSON.stringify({
      inbounds: [
        inbound('good', good, 'good.porthole.test', challengePort),
        inbound('also', also, 'also.porthole.test', challengePort),
        inbound('unreachable', bad, 'bad.porthole.test', elsewhere),
      ],
    }) }]), { logSinks: { error: quiet, access: quiet } });
    await instance.start();
  }, 60_000);

  afterAll(async () => {
    await instance?.close();
    await pebble?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('two issued through one challenge port (with the expiry of the files stored), one failed with the CA\'s reason and its next try', async () => {
    await waitUntil(() => certificatesOf(instance).every((certificate) => certificate.state !== 'pending'), 30_000, 'both orders settled');
    const authority = new URL(pebble.directoryUrl).host;
    const [good, also, bad] = certificatesOf(instance);
    const stored = new X509Certificate(readFileSync(join(folder, 'acme', 'certificates', 'good.porthole.test', 'fullchain.pem')));
    expect(good).toEqual({ inboundTag: 'good', name: 'good.porthole.test', authority, state: 'issued', notAfter: new Date(stored.validTo).getTime() });
    expect(also).toMatchObject({ inboundTag: 'also', state: 'issued' });
    // The CA asked port `challengePort`, where no inbound was validating that token.
    expect(bad).toMatchObject({ inboundTag: 'unreachable', name: 'bad.porthole.test', authority, state: 'failed', reason: expect.stringMatching(/^validation of bad\.porthole\.test failed: .*returned 404/) });
    expect(bad?.retryAt).toBeGreaterThan(Date.now());

    const metrics = createEngineMetrics({ instance: () => instance });
    try {
      const exposition = parseExposition(await metrics.scrape());
      const name = 'porthole_certificate_expiration_timestamp_seconds';
      expect(sampleValue(exposition, name, { inbound: 'good', name: 'good.porthole.test', state: 'issued' })).toBe(Math.floor((good?.notAfter ?? 0) / 1000));
      expect(sampleValue(exposition, name, { inbound: 'unreachable', name: 'bad.porthole.test', state: 'failed' })).toBe(0);
    } finally {
      metrics.close();
    }
  }, 60_000);
});
