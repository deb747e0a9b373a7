#!/usr/bin/env node
/**
 * The inspector scenario (`npm run bench -- --only inspector`, or `node bench/inspector.js`): what
 * capturing requests costs on an exposure. A Porthole portal (its own process, the CLI), a
 * Porthole bridge (a forked helper: the CLI cannot ask for exposures) and a local HTTP service;
 * the visitor uses the exposure's raw public port. Each figure with capture off, then on:
 *   HTTP req/s     keep-alive 1 KiB GETs, N at once, for a fixed time;
 *   download MiB/s one GET of a large body (Content-Length), the bridge's tap reading every chunk;
 *   upload MiB/s   one POST of a large body.
 * The issue's bar: capture on ≥ 0.8× off. V2Ray has no inspector: no reference.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { writeBridgeConfig, writePortalConfig } from './lib/exposure-pair.js';
import { keepAliveLoad } from './lib/keep-alive-load.js';
import { forkHelper, killAllChildren, logProblems, PORTHOLE_CLI, PORTHOLE_ENGINE, startPeer } from './lib/procs.js';
import { writeBulk } from './lib/protocol.js';
import { buildFingerprint, cpuSeconds, freePorts, pollUntil, portOpen } from './lib/util.js';

const MIB = 1024 * 1024;
const REVERSE_DOMAIN = 'inspector.bench.porthole.test';
const EXPOSURE = 'e-00000001';

/** Why the scenario cannot run here, or undefined. */
export function inspectorPreflight() {
  if (!existsSync(join(PORTHOLE_ENGINE, 'engine', 'app', 'inspector', 'inspector.js'))) {
    return `the engine in ${PORTHOLE_ENGINE} has no request inspector; run \`npm run build:core\` (npm run bench does it)`;
  }
  return undefined;
}

/** One GET of `bytes`: MiB/s from the request to the last byte. */
function download(port, bytes) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path: `/bulk?bytes=${bytes}`, agent: false }, (res) => {
      let received = 0;
      res.on('data', (chunk) => { received += chunk.length; });
      res.on('end', () => {
        if (received !== bytes) reject(new Error(`download: ${received} of ${bytes} bytes`));
        else resolve({ rate: bytes / MIB / ((performance.now() - started) / 1000) });
      });
    });
    req.on('error', reject);
  });
}

/** One POST of `bytes`: MiB/s until the service's answer (it counted every byte). */
function upload(port, bytes) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, path: '/bulk', method: 'POST', agent: false, headers: { 'Content-Length': bytes } }, (res) => {
      let answer = '';
      res.on('data', (chunk) => { answer += chunk; });
      res.on('end', () => {
        if (Number(answer) !== bytes) reject(new Error(`upload: the service counted ${answer} of ${bytes} bytes`));
        else resolve({ rate: bytes / MIB / ((performance.now() - started) / 1000) });
      });
    });
    req.on('error', reject);
    writeBulk(req, bytes).then(() => req.end(), reject);
  });
}

export async function runInspectorScenario({ folder, seconds = 5, warmupSeconds = 1, concurrency = 32, bulkMib = 256 }) {
  const [linkPort, ...range] = await freePorts(3);
  const record = { concurrency, seconds, bulkMib, engineBuild: buildFingerprint(PORTHOLE_ENGINE), errors: [] };
  const upstream = await forkHelper(new URL('./inspector-helper.js', import.meta.url), { args: ['upstream'] });
  const portalFile = join(folder, 'inspector-portal.json');
  writePortalConfig(portalFile, { reverseDomain: REVERSE_DOMAIN, linkPort, ports: range });
  const portal = startPeer('porthole', portalFile, join(folder, 'inspector-portal.log'));
  let bridge;
  try {
    await pollUntil(() => portOpen(linkPort), { what: `the portal's link port ${linkPort}` });
    const bridgeFile = join(folder, 'inspector-bridge.json');
    writeBridgeConfig(bridgeFile, { reverseDomain: REVERSE_DOMAIN, linkPort });
    const exposuresFile = join(folder, 'inspector-exposures.json');
    writeFileSync(exposuresFile, `${JSON.stringify([{ id: EXPOSURE, name: 'HTTP service', localHost: '127.0.0.1', localPort: upstream.hello.port, publicPort: null, enabled: true }], null, 2)}\n`);
    bridge = await forkHelper(new URL('./inspector-helper.js', import.meta.url), { args: ['bridge', PORTHOLE_ENGINE, bridgeFile, exposuresFile] });
    let status;
    await pollUntil(async () => {
      status = await bridge.call('status');
      return status[EXPOSURE].state === 'live';
    }, { what: 'the exposure live', timeoutMs: 20_000 });
    const port = Number(status[EXPOSURE].publicAddress.split(':')[1]);
    const bytes = bulkMib * MIB;
    record.results = { off: {}, on: {} };
    for (const mode of ['off', 'on']) {
      await bridge.call('capture', { enabled: mode === 'on' });
      if (warmupSeconds > 0) await keepAliveLoad({ host: '127.0.0.1', port }, { seconds: warmupSeconds, concurrency });
      // The bridge's own CPU time per unit of work: what capture costs it, less moved by a busy machine than rates.
      let cpu = cpuSeconds(bridge.pid);
      const requests = await keepAliveLoad({ host: '127.0.0.1', port }, { seconds, concurrency });
      const requestCpu = (cpuSeconds(bridge.pid) - cpu) * 1e6 / Math.max(1, requests.ok);
      if (requests.failed) record.errors.push(`capture ${mode}: ${requests.failed} requests failed, e.g. ${requests.firstError}`);
      cpu = cpuSeconds(bridge.pid);
      const down = await download(port, bytes);
      const up = await upload(port, bytes);
      const bulkCpu = (cpuSeconds(bridge.pid) - cpu) / (2 * bytes / (1024 * MIB));
      const captured = await bridge.call('captured');
      record.results[mode] = { requests: requests.rate, download: down.rate, upload: up.rate, requestCpuMicros: requestCpu, bulkCpuSecondsPerGiB: bulkCpu, captured };
      process.stdout.write(`[inspector] capture ${mode.padEnd(3)} ${requests.rate.toFixed(0)} req/s (bridge ${requestCpu.toFixed(0)} µs CPU each), download ${down.rate.toFixed(0)} MiB/s, upload ${up.rate.toFixed(0)} MiB/s (bridge ${bulkCpu.toFixed(2)} CPU s/GiB; ${captured} entries kept)\n`);
    }
    const { off, on } = record.results;
    record.ratios = {
      requests: on.requests / off.requests, download: on.download / off.download, upload: on.upload / off.upload,
      requestCpuMicros: on.requestCpuMicros / off.requestCpuMicros, bulkCpuSecondsPerGiB: on.bulkCpuSecondsPerGiB / off.bulkCpuSecondsPerGiB,
    };
  } catch (error) {
    record.errors.push(error instanceof Error ? error.message : String(error));
    record.aborted = true;
  } finally {
    await bridge?.stop();
    await portal.stop();
    await upstream.stop();
    record.logProblems = logProblems(portal.logPath);
  }
  return record;
}

/** The scenario's rows, in the style of the main table. */
export function renderInspectorRows(record) {
  if (!record.ratios) return `Inspector: did not run (${record.errors.join('; ')})`;
  const { off, on } = record.results;
  const row = (label, key, digits) => `${label.padEnd(44)} ${off[key].toFixed(digits).padStart(8)} ${on[key].toFixed(digits).padStart(8)} ${`${record.ratios[key].toFixed(2)}×`.padStart(7)}   n/a: V2Ray has no inspector`;
  return [
    `${'Inspector: capture on an exposure'.padEnd(44)}      off       on   ratio   V2Ray`,
    row(`HTTP req/s ↑ (keep-alive 1 KiB, ${record.concurrency} at once)`, 'requests', 0),
    row(`download MiB/s ↑ (one ${record.bulkMib} MiB body)`, 'download', 0),
    row(`upload MiB/s ↑ (one ${record.bulkMib} MiB body)`, 'upload', 0),
    row('bridge CPU µs per request ↓', 'requestCpuMicros', 0),
    row('bridge CPU s per GiB (down + up) ↓', 'bulkCpuSecondsPerGiB', 2),
  ].join('\n');
}

// `node bench/inspector.js [--bulk-mib N] [--seconds N]`: the scenario alone, figures to bench/results/<timestamp>-inspector.json.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = inspectorPreflight();
  if (problem) {
    console.error(`bench: ${problem}`);
    process.exit(2);
  }
  const option = (name, fallback) => {
    const at = process.argv.indexOf(name);
    return at === -1 ? fallback : Number(process.argv[at + 1]);
  };
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const folder = fileURLToPath(new URL(`./results/${stamp}-inspector/`, import.meta.url));
  mkdirSync(folder, { recursive: true });
  process.on('exit', killAllChildren);
  console.log(`Porthole inspector bench (${PORTHOLE_CLI}); configs and logs: ${folder}`);
  const record = await runInspectorScenario({ folder, bulkMib: option('--bulk-mib', 256), seconds: option('--seconds', 5) });
  console.log(`\n${renderInspectorRows(record)}\n`);
  const file = `${folder.replace(/\/$/, '')}.json`;
  writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  console.log(`All figures: ${file}`);
  if (record.aborted) process.exitCode = 1;
}
