#!/usr/bin/env node
/**
 * The edge scenario (`npm run bench -- --only edge`, or `node bench/edge.js`): what serving an
 * exposure by name costs against its raw public port. A Porthole portal (its own process, the CLI)
 * with `exposures.names` (HTTP, and HTTPS with an owner's certificate made by openssl, no
 * ACME), one Porthole bridge (a forked helper: the CLI cannot ask for exposures) and one local
 * service answering 1 KiB over HTTP and HTTPS. Keep-alive requests, N at once for a fixed time:
 *   HTTP   by name (the edge parses and relays)     vs the raw port to the HTTP service;
 *   HTTPS  by name (TLS ends at the edge)           vs the raw port to the HTTPS service (TLS ends there).
 * Cost of the edge = 1 − by name ÷ raw (the issue's bar: ≤ 20 %). V2Ray has no names: no reference.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeBridgeConfig, writePortalConfig } from './lib/exposure-pair.js';
import { keepAliveLoad } from './lib/keep-alive-load.js';
import { forkHelper, killAllChildren, logProblems, PORTHOLE_CLI, PORTHOLE_ENGINE, startPeer } from './lib/procs.js';
import { buildFingerprint, cpuSeconds, difference, freePorts, ioCounters, pollUntil, portOpen } from './lib/util.js';

const DOMAIN = 'tunnel.bench.porthole.test';
const REVERSE_DOMAIN = 'edge.bench.porthole.test';
/** Served over plain HTTP (no certificate covers it: a name with one is redirected to HTTPS). */
const PLAIN_NAME = `app.${DOMAIN}`;
/** Served over HTTPS with the owner's certificate, which covers only this name. */
const SECURE_NAME = `secure.${DOMAIN}`;

const toLoopback = (_hostname, options, callback) => {
  if (options?.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/** Why the scenario cannot run here, or undefined. */
export function edgePreflight() {
  if (!existsSync(join(PORTHOLE_ENGINE, 'engine', 'app', 'exposures', 'portal-edge.js'))) {
    return `the engine in ${PORTHOLE_ENGINE} has no edge (portal-edge.js); run \`npm run build:core\` (npm run bench does it)`;
  }
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return 'the edge scenario needs the openssl CLI (apt-get install -y openssl) for its certificate';
  }
  return undefined;
}

function makeCertificate(folder) {
  const certFile = join(folder, 'edge.crt');
  const keyFile = join(folder, 'edge.key');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '7',
    '-keyout', keyFile, '-out', certFile, '-subj', `/CN=${SECURE_NAME}`, '-addext', `subjectAltName=DNS:${SECURE_NAME},IP:127.0.0.1`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}

/** One target's load: its name in Host (and SNI), every name resolving to loopback. */
function measure(target, options) {
  const name = target.tls ? SECURE_NAME : PLAIN_NAME;
  return keepAliveLoad({ ...target, servername: SECURE_NAME, hostHeader: `${name}:${target.port}`, lookup: toLoopback }, options);
}

/**
 * Runs the scenario once; prints its rows and returns the record for the results file.
 * options: { folder, seconds (per measurement), warmupSeconds, concurrency }.
 */
export async function runEdgeScenario({ folder, seconds = 5, warmupSeconds = 1, concurrency = 32 }) {
  const certificate = makeCertificate(folder);
  const [linkPort, httpPort, httpsPort, ...range] = await freePorts(6);
  const record = { concurrency, seconds, engineBuild: buildFingerprint(PORTHOLE_ENGINE), errors: [] };
  const upstream = await forkHelper(new URL('./edge-helper.js', import.meta.url), { args: ['upstream', certificate.certFile, certificate.keyFile] });
  const portalFile = join(folder, 'edge-portal.json');
  writePortalConfig(portalFile, {
    reverseDomain: REVERSE_DOMAIN, linkPort, ports: range,
    names: { domain: DOMAIN, http: httpPort, https: httpsPort, certificates: [{ certificateFile: certificate.certFile, keyFile: certificate.keyFile }] },
  });
  const portal = startPeer('porthole', portalFile, join(folder, 'edge-portal.log'));
  let bridge;
  try {
    await pollUntil(() => portOpen(linkPort), { what: `the portal's link port ${linkPort}` });
    const bridgeFile = join(folder, 'edge-bridge.json');
    writeBridgeConfig(bridgeFile, { reverseDomain: REVERSE_DOMAIN, linkPort });
    const exposuresFile = join(folder, 'edge-exposures.json');
    const service = upstream.hello;
    const exposures = [
      { id: 'e-00000001', name: 'HTTP by name and raw', localHost: '127.0.0.1', localPort: service.http, publicPort: null, enabled: true, label: 'app' },
      { id: 'e-00000002', name: 'HTTPS by name', localHost: '127.0.0.1', localPort: service.http, publicPort: null, enabled: true, label: 'secure' },
      { id: 'e-00000003', name: 'raw HTTPS', localHost: '127.0.0.1', localPort: service.https, publicPort: null, enabled: true },
    ];
    writeFileSync(exposuresFile, `${JSON.stringify(exposures, null, 2)}\n`);
    bridge = await forkHelper(new URL('./edge-helper.js', import.meta.url), { args: ['bridge', PORTHOLE_ENGINE, bridgeFile, exposuresFile] });
    let status;
    await pollUntil(async () => {
      status = await bridge.call('status');
      return Object.values(status).every((one) => one.state === 'live');
    }, { what: 'both exposures live', timeoutMs: 20_000 });
    const rawPort = (id) => Number(status[id].publicAddress.split(':')[1]);
    record.urls = [...status['e-00000001'].urls, ...status['e-00000002'].urls];
    const targets = {
      httpName: { host: PLAIN_NAME, port: httpPort, tls: false },
      httpRaw: { host: '127.0.0.1', port: rawPort('e-00000001'), tls: false },
      httpsName: { host: SECURE_NAME, port: httpsPort, tls: true, ca: certificate.certPem },
      httpsRaw: { host: '127.0.0.1', port: rawPort('e-00000003'), tls: true, ca: certificate.certPem },
    };
    record.results = {};
    const keys = Object.keys(targets);
    // Every target warmed first, then each measured in two halves, in one order and then the
    // other: measured one after another, the first paid for warming the path all of them share
    // (Mux, VMess, sockets in portal, bridge and client) and read ~20 % slower (2026-12-07).
    if (warmupSeconds > 0) for (const key of keys) await measure(targets[key], { seconds: warmupSeconds, concurrency });
    const sums = Object.fromEntries(keys.map((key) => [key, { ok: 0, failed: 0, seconds: 0, cpu: 0, syscr: 0, syscw: 0, serviceConnections: 0 }]));
    for (const sequence of [keys, [...keys].reverse()]) {
      for (const key of sequence) {
        const sum = sums[key];
        const before = await upstream.call('stats');
        const portalCpuBefore = cpuSeconds(portal.pid);
        const portalIoBefore = ioCounters(portal.pid);
        const half = await measure(targets[key], { seconds: seconds / 2, concurrency });
        const io = difference(portalIoBefore, ioCounters(portal.pid));
        sum.cpu += cpuSeconds(portal.pid) - portalCpuBefore;
        const after = await upstream.call('stats');
        // New connections at the service while measuring: ~0 when streams to it are kept alive.
        sum.serviceConnections += after.http + after.https - before.http - before.https;
        sum.ok += half.ok;
        sum.failed += half.failed;
        sum.seconds += half.seconds;
        sum.syscr += io.syscr;
        sum.syscw += io.syscw;
        sum.firstError ??= half.firstError;
      }
    }
    for (const key of keys) {
      const { ok, failed, seconds: elapsed, cpu, syscr, syscw, serviceConnections, firstError } = sums[key];
      const result = {
        ok, failed, seconds: elapsed, rate: ok / elapsed, serviceConnections,
        // The portal's CPU per request: what the edge costs, and a figure other load on the machine bends less than req/s.
        portalCpuMicrosPerRequest: ok > 0 ? (cpu * 1e6) / ok : null,
        // Read and write system calls per request on the portal: how often its bytes cross into the kernel.
        portalSyscallsPerRequest: ok > 0 ? { reads: syscr / ok, writes: syscw / ok } : null,
        ...(firstError ? { firstError } : {}),
      };
      record.results[key] = result;
      process.stdout.write(`[edge] ${key.padEnd(9)} ${result.rate.toFixed(0)} req/s, portal CPU ${result.portalCpuMicrosPerRequest?.toFixed(0) ?? '?'} µs/request (${result.portalSyscallsPerRequest?.reads.toFixed(1) ?? '?'} reads, ${result.portalSyscallsPerRequest?.writes.toFixed(1) ?? '?'} writes), ${result.serviceConnections} new connections at the service${result.failed ? `, ${result.failed} FAILED (${result.firstError})` : ''}\n`);
      if (result.failed) record.errors.push(`${key}: ${result.failed} requests failed, e.g. ${result.firstError}`);
    }
  } catch (error) {
    record.errors.push(error instanceof Error ? error.message : String(error));
    record.aborted = true;
  } finally {
    await bridge?.stop();
    await portal.stop();
    await upstream.stop();
    record.logProblems = logProblems(portal.logPath);
  }
  record.ratios = record.results ? {
    http: record.results.httpName.rate / record.results.httpRaw.rate,
    https: record.results.httpsName.rate / record.results.httpsRaw.rate,
  } : undefined;
  return record;
}

/** The scenario's rows, in the style of the main table. */
export function renderEdgeRows(record) {
  if (!record.results) return `Edge: did not run (${record.errors.join('; ')})`;
  const { results, ratios } = record;
  const row = (label, name, raw, ratioValue) => `${label.padEnd(44)} ${name.rate.toFixed(0).padStart(8)} ${raw.rate.toFixed(0).padStart(8)} ${`${ratioValue.toFixed(2)}×`.padStart(7)} ${`${((1 - ratioValue) * 100).toFixed(0)} %`.padStart(6)}   n/a: V2Ray has no names`;
  return [
    `${`Edge: keep-alive 1 KiB GETs, ${record.concurrency} at once`.padEnd(44)}  by name      raw   ratio   cost   V2Ray`,
    row('HTTP req/s ↑ (edge parses and relays)', results.httpName, results.httpRaw, ratios.http),
    row('HTTPS req/s ↑ (TLS at the edge vs service)', results.httpsName, results.httpsRaw, ratios.https),
  ].join('\n');
}

// `node bench/edge.js`: the scenario alone, figures to bench/results/<timestamp>-edge.json.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = edgePreflight();
  if (problem) {
    console.error(`bench: ${problem}`);
    process.exit(2);
  }
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const folder = fileURLToPath(new URL(`./results/${stamp}-edge/`, import.meta.url));
  mkdirSync(folder, { recursive: true });
  process.on('exit', killAllChildren);
  console.log(`Porthole edge bench (${PORTHOLE_CLI}); configs and logs: ${folder}`);
  const record = await runEdgeScenario({ folder });
  console.log(`\n${renderEdgeRows(record)}\n`);
  const file = `${folder.replace(/\/$/, '')}.json`;
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`All figures: ${file}`);
  if (record.aborted) process.exitCode = 1;
}
