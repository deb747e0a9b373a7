/**
 * Set up my server over WebSocket + TLS with no certificate files: the uploaded portal gets its
 * link certificate through ACME (Let's Encrypt's test CA, Pebble, on loopback), the setup waits
 * for it, and the bridge here links trusting the CA's root as it would trust Let's Encrypt's (the
 * process's default roots). A port the CA must reach that is taken fails the check with its
 * reason; freed, the retry finishes. Real sshd, real portal process, real Pebble.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quietServiceOptions } from '../../../test/support/engine-service.js';
import { buildTestPortal } from '../../../test/support/portal-build.js';
import { freePort, freePortRun } from '../../../test/support/ports.js';
import { ended, stepOf, untilRun } from '../../../test/support/remote-setup-run.js';
import { sshdMissing, startTestSshServer, type TestSshServer } from '../../../test/support/sshd.js';
import { startHttp, type RunningServer } from '../../../test/support/upstream.js';
import { pebbleMissingReason, startPebble, type RunningPebble } from '../../engine/app/edge/certificates/testdata/pebble.js';
import { createLocalEngineService, type LocalEngineService } from '../service/local-engine-service.js';

const DOMAIN = 'vps.porthole.test';
const missing = sshdMissing() ?? pebbleMissingReason();

const state: {
  folder: string;
  previousPortalDir: string | undefined;
  pebble?: RunningPebble;
  rootPem: string;
  challengePort: number;
  caFile: string;
  server?: TestSshServer;
  here?: LocalEngineService;
  site?: RunningServer;
} = { folder: '', previousPortalDir: undefined, rootPem: '', challengePort: 0, caFile: '' };

/** The certificate the link port presents for DOMAIN, checked against Pebble's root alone. */
function linkCertificate(port: number): Promise<{ authorized: boolean; subject: string; issuer: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: DOMAIN, ca: state.rootPem, ALPNProtocols: ['http/1.1'] }, () => {
      const certificate = socket.getPeerCertificate();
      resolve({ authorized: socket.authorized, subject: String(certificate.subject?.CN ?? ''), issuer: String(certificate.issuer?.CN ?? '') });
      socket.end();
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('no handshake in 5 s')));
    socket.on('error', reject);
  });
}

describe.skipIf(missing !== null && missing !== undefined)(`Set up my server: the link certificate through ACME${missing ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    state.folder = mkdtempSync(join(tmpdir(), 'porthole-remote-acme-'));
    chmodSync(state.folder, 0o755);
    const out = join(state.folder, 'portal');
    buildTestPortal(out);
    state.previousPortalDir = process.env.PORTHOLE_PORTAL_DIR;
    process.env.PORTHOLE_PORTAL_DIR = out;
    state.challengePort = await freePort();
    state.pebble = await startPebble({ httpPort: state.challengePort });
    state.rootPem = await state.pebble.rootPem();
    // The portal runs as the server account: the CA's HTTPS root must be readable there.
    state.caFile = join(state.folder, 'pebble-https.pem');
    writeFileSync(state.caFile, state.pebble.httpsCaPem, { mode: 0o644 });
    // This machine trusts the test CA as it trusts Let's Encrypt: among the process's default roots.
    tls.setDefaultCACertificates([...tls.getCACertificates('default'), state.rootPem]);
    state.server = await startTestSshServer();
    state.here = await createLocalEngineService(quietServiceOptions(mkdtempSync(join(state.folder, 'here-'))));
    state.site = await startHttp('through a certificate from ACME');
  }, 180_000);

  afterAll(async () => {
    await state.here?.close();
    await state.server?.stop();
    await state.pebble?.stop();
    await state.site?.close();
    if (state.previousPortalDir === undefined) delete process.env.PORTHOLE_PORTAL_DIR;
    else process.env.PORTHOLE_PORTAL_DIR = state.previousPortalDir;
    if (state.folder) rmSync(state.folder, { recursive: true, force: true });
  }, 60_000);

  it('the CA\'s port taken fails the check; freed, the portal gets its certificate, the bridge links and the exposure answers', async () => {
    const here = state.here as LocalEngineService;
    const server = state.server as TestSshServer;
    const exposure = await here.addExposure({ localPort: state.site?.port ?? 0 });
    const linkPort = await freePortRun(5);
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(state.challengePort, '127.0.0.1', resolve));

    const run = await here.startRemoteSetup({
      ...server.target, linkPort, exposureRange: `${linkPort + 1}-${linkPort + 4}`, domain: DOMAIN, transport: 'ws-tls',
      acme: { directory: state.pebble?.directoryUrl ?? '', caFile: state.caFile, httpPort: state.challengePort },
    });
    const waiting = await untilRun(here, (current) => current.state !== 'running', 'the host key');
    await here.acceptRemoteHostKey(run.id, waiting.hostKey?.fingerprint ?? '');
    const failed = await untilRun(here, ended, 'the check to fail');
    expect(stepOf(failed, 'check-system')).toMatchObject({
      state: 'failed',
      reason: expect.stringMatching(new RegExp(`^port ${state.challengePort} is in use on the server .*the portal must answer the CA there to get its certificate \\(HTTP-01\\)`)),
    });

    await new Promise<void>((resolve) => { squatter.close(() => resolve()); });
    const orders = state.pebble?.orderCount() ?? 0;
    await here.retryRemoteSetup(run.id);
    const done = await untilRun(here, ended, 'the retry to end', 150_000);
    expect(done.steps.filter((step) => step.state === 'failed')).toEqual([]);
    expect(done.state).toBe('done');
    expect(stepOf(done, 'write-config')?.detail).toContain(`its certificate from ${new URL(state.pebble?.directoryUrl ?? '').host}`);
    expect(stepOf(done, 'start')?.detail).toContain(`certificate for ${DOMAIN} issued by`);
    expect(stepOf(done, 'firewall')?.manual?.[0]).toContain(`TCP ${state.challengePort} (the CA checks it for the certificate)`);
    expect(state.pebble?.orderCount()).toBe(orders + 1);

    const shown = await linkCertificate(linkPort);
    expect([shown.authorized, shown.subject]).toEqual([true, DOMAIN]);
    expect(shown.issuer).toMatch(/Pebble/i);
    // The bridge here checks the certificate against its default roots: no certificate in its profile.
    const profile = await here.getProfile(`server ${server.host}`);
    expect(profile.text).not.toContain('"usage": "verify"');
    expect(profile.text).toContain(`"serverName": "${DOMAIN}"`);
    const url = done.result?.exposures.find((item) => item.id === exposure.id)?.url ?? '';
    expect(await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text()).toBe('through a certificate from ACME');
  }, 240_000);
});
