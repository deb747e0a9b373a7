#!/usr/bin/env node
/**
 * `npm run bench`: the reverse-proxy pair (portal + bridge, each its own process) as V2Ray/V2Ray,
 * Porthole/Porthole and both mixed pairings, one after another, with the same upstream and client
 * processes; prints one table and writes every figure to bench/results/<timestamp>.json.
 * What is measured and how: bench/README.md. Options: `npm run bench -- --help`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SECURITIES, SERVER_NAME, TRANSPORTS, WS_PATH, bridgeConfig, linkStreamSettings, makeLinkCertificate, portalConfig, usesTls } from './lib/configs.js';
import { edgePreflight, renderEdgeRows, runEdgeScenario } from './edge.js';
import { inspectorPreflight, renderInspectorRows, runInspectorScenario } from './inspector.js';
import { forkHelper, killAllChildren, logProblems, PORTHOLE_CLI, PORTHOLE_ENGINE, startPeer, V2RAY_BINARY } from './lib/procs.js';
import { metricDefinitions, ratio, renderMedianRatios, renderTable, summarize } from './lib/report.js';
import { buildFingerprint, clockTicksPerSecond, cpuSeconds, cpuTimes, difference, freePorts, ioCounters, memory, pollUntil, portOpen, quantile } from './lib/util.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

const PAIRINGS = [
  { id: 'v2ray/v2ray', portal: 'v2ray', bridge: 'v2ray', label: 'V2Ray/V2Ray' },
  { id: 'porthole/porthole', portal: 'porthole', bridge: 'porthole', label: 'PH/PH' },
  { id: 'porthole/v2ray', portal: 'porthole', bridge: 'v2ray', label: 'PH/V2Ray' },
  { id: 'v2ray/porthole', portal: 'v2ray', bridge: 'porthole', label: 'V2Ray/PH' },
  // The engine as the tray app runs it (Electron's Node, BoringSSL: only the self-contained AEAD addon) as the bridge.
  { id: 'porthole/app', portal: 'porthole', bridge: 'porthole-app', label: 'PH/App' },
];
const REFERENCE = PAIRINGS[0];
/** `--only edge`: the names scenario (bench/edge.js), which has no V2Ray reference. */
const EDGE = 'edge';
/** `--only inspector`: the request inspector's capture on/off scenario (bench/inspector.js). */
const INSPECTOR = 'inspector';
const SCENARIOS = [EDGE, INSPECTOR];

const HELP = `Usage: npm run bench -- [options]   (or: node bench/run.js [options])

  --rounds N        rounds over all pairings; each figure is the best round, and a second table
                    gives the ratios of the median round (env BENCH_ROUNDS, default 4)
  --bulk-mib N      MiB per bulk transfer, each way (env BENCH_BULK_MIB, default 256)
  --parallel N      streams of the parallel bulk transfers, 1 = skip them (env BENCH_PARALLEL, default 4)
  --requests N      1 KiB request/response connections per round (env BENCH_REQUESTS, default 2000)
  --concurrency N   of those, open at once (env BENCH_CONCURRENCY, default 32)
  --idle N          idle streams held open for the RSS figures (env BENCH_IDLE, default 1000)
  --settle N        seconds of quiet after the bulk transfers before RSS is read again, 0 = skip
                    (env BENCH_SETTLE, default 5)
  --warmup-requests N, --warmup-mib N
                    the unmeasured warm-up of each pairing: requests, and MiB down then up
                    (env BENCH_WARMUP_REQUESTS, default 200; BENCH_WARMUP_MIB, default 32). Porthole's
                    JIT keeps speeding up over its first ~10,000 connections and ~1 GiB; larger
                    values measure a long-running process (e.g. 10000 and 1024)
  --only LIST       comma-separated pairings (portal/bridge), e.g. porthole/porthole,v2ray/v2ray
                    (env BENCH_ONLY; v2ray/v2ray is always added, it is the reference), and/or
                    edge: HTTP(S) requests by name vs the raw exposure port (bench/edge.js), and/or
                    inspector: an exposure with request capture on vs off (bench/inspector.js);
                    both run after the pairings when --only is not given
  --security NAME   the VMess security the bridges ask for: auto (default; AES-128-GCM here),
                    aes-128-gcm, chacha20-poly1305 or none (env BENCH_SECURITY)
  --transport LIST  comma-separated transports of the bridge→portal link, each run in every
                    pairing and round: tcp (default; no streamSettings), tls, ws (WebSocket, path
                    ${WS_PATH}), ws+tls (env BENCH_TRANSPORT). TLS: a self-signed certificate made
                    with the openssl CLI into the results folder, which the bridge verifies
                    (serverName ${SERVER_NAME}, certificates usage "verify").
                    Several transports: one row per metric and transport, e.g.
                    "download 1×256 MiB (ws+tls)"
  --help            this text

Environment: V2RAY_BINARY (default /usr/bin/v2ray); PORTHOLE_CLI, another bin/porthole.js to run
(e.g. a copy of bin/ and dist/ taken before a rebuild; npm run bench still builds this checkout);
PORTHOLE_NODE_ARGS, node flags for the Porthole processes (e.g. "--cpu-prof --cpu-prof-dir=prof").

Pairings are written portal/bridge. PH = Porthole.`;

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        rounds: { type: 'string' },
        'bulk-mib': { type: 'string' },
        parallel: { type: 'string' },
        requests: { type: 'string' },
        concurrency: { type: 'string' },
        idle: { type: 'string' },
        settle: { type: 'string' },
        'warmup-requests': { type: 'string' },
        'warmup-mib': { type: 'string' },
        only: { type: 'string' },
        security: { type: 'string' },
        transport: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    // An unknown option or a missing value: one line, not a stack.
    console.error(`bench: ${error.message.split('\n')[0]} (--help lists the options)`);
    process.exit(2);
  }
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const int = (flag, env, fallback, min) => {
    const text = values[flag] ?? process.env[env];
    if (text === undefined || text === '') return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
      console.error(`bench: --${flag} (${env}) must be an integer ≥ ${min}, got "${text}"`);
      process.exit(2);
    }
    return value;
  };
  const options = {
    rounds: int('rounds', 'BENCH_ROUNDS', 4, 1),
    bulkMiB: int('bulk-mib', 'BENCH_BULK_MIB', 256, 1),
    parallel: int('parallel', 'BENCH_PARALLEL', 4, 1),
    requests: int('requests', 'BENCH_REQUESTS', 2000, 1),
    concurrency: int('concurrency', 'BENCH_CONCURRENCY', 32, 1),
    idle: int('idle', 'BENCH_IDLE', 1000, 1),
    settle: int('settle', 'BENCH_SETTLE', 5, 0),
    warmupRequests: int('warmup-requests', 'BENCH_WARMUP_REQUESTS', 200, 0),
    warmupMiB: int('warmup-mib', 'BENCH_WARMUP_MIB', 32, 0),
  };
  const security = values.security ?? process.env.BENCH_SECURITY;
  if (security !== undefined && security !== '') {
    if (!SECURITIES.includes(security)) {
      console.error(`bench: --security (BENCH_SECURITY) must be one of ${SECURITIES.join(', ')}, got "${security}"`);
      process.exit(2);
    }
    options.security = security;
  }
  const transports = (values.transport ?? process.env.BENCH_TRANSPORT ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const transport of transports) {
    if (!TRANSPORTS.includes(transport)) {
      console.error(`bench: --transport (BENCH_TRANSPORT) takes a comma-separated list of ${TRANSPORTS.join(', ')}, got "${transport}"`);
      process.exit(2);
    }
  }
  // In the order TRANSPORTS lists them, each once.
  options.transports = transports.length ? TRANSPORTS.filter((t) => transports.includes(t)) : ['tcp'];
  const only = (values.only ?? process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const id of only) {
    if (!SCENARIOS.includes(id) && !PAIRINGS.some((p) => p.id === id)) {
      console.error(`bench: unknown pairing "${id}"; known: ${PAIRINGS.map((p) => p.id).join(', ')}`);
      process.exit(2);
    }
  }
  options.edge = only.length === 0 || only.includes(EDGE);
  options.inspector = only.length === 0 || only.includes(INSPECTOR);
  const pairings = only.filter((id) => !SCENARIOS.includes(id));
  options.pairings = only.length === 0 ? PAIRINGS : pairings.length ? PAIRINGS.filter((p) => p === REFERENCE || pairings.includes(p.id)) : [];
  return options;
}

function commandOutput(command, args) {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function timestamp(date) {
  return date.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

// ---- one pairing, one round ---------------------------------------------------------------------

/** quiesce(): the window over which portal and bridge must stay (almost) idle, and the longest wait. */
const QUIET_WINDOW_MS = 200;
const QUIET_TIMEOUT_MS = 3_000;

/** True when the run measures plain TCP links only: then the output is what it was before --transport. */
const isTcpOnly = (options) => options.transports.length === 1 && options.transports[0] === 'tcp';

const fmt = (value, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '?');

class PairingRun {
  constructor(pairing, transport, round, step, ctx) {
    this.pairing = pairing;
    this.transport = transport;
    this.ctx = ctx;
    // The transport is named only when the run is not plain TCP alone (the output stays as it was).
    const shown = isTcpOnly(ctx.options) ? '' : `${transport.padEnd(6)} `;
    this.prefix = `[${step}/${ctx.steps}] round ${round}/${ctx.options.rounds} ${shown}${pairing.id.padEnd(17)}`;
    this.record = { pairing: pairing.id, portal: pairing.portal, bridge: pairing.bridge, transport, round, errors: [] };
  }

  progress(text) {
    process.stdout.write(`${this.prefix} ${text}`);
  }

  done(text) {
    process.stdout.write(` ${text}\n`);
  }

  /** Fails when a proxy has exited under us. */
  checkAlive() {
    for (const [role, peer] of [['portal', this.portal], ['bridge', this.bridge]]) {
      const exited = peer?.exited();
      if (exited) throw new Error(`the ${role} (${peer.kind}) exited (${exited.signal ?? `code ${exited.code}`}); see ${peer.logPath}`);
    }
  }

  /** Runs one phase; its failure is recorded and the next phase still runs. */
  async phase(label, body) {
    this.progress(`${label}…`);
    try {
      this.checkAlive();
      const text = await body();
      this.done(text ?? 'ok');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.record.errors.push(`${label}: ${message}`);
      this.done(`FAILED: ${message}`);
      this.checkAlive();
    }
  }

  cpu() {
    return { portal: cpuSeconds(this.portal.pid), bridge: cpuSeconds(this.bridge.pid) };
  }

  /**
   * Waits until portal and bridge have finished the work of the phase before (closing 1,000
   * streams costs each process ~0.1 s of CPU after the upstream has seen them close), so that it
   * is not measured as part of the next phase, e.g. as the latency of its first requests. Quiet =
   * at most one clock tick of CPU between the two, over QUIET_WINDOW_MS; gives up after
   * QUIET_TIMEOUT_MS. Every pairing waits alike; the wait is recorded per phase.
   */
  async quiesce(key) {
    const total = () => cpuSeconds(this.portal.pid) + cpuSeconds(this.bridge.pid);
    const started = performance.now();
    let before = total();
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_WINDOW_MS));
      const now = total();
      if (now - before <= 1 / clockTicksPerSecond() || performance.now() - started >= QUIET_TIMEOUT_MS) break;
      before = now;
    }
    this.record.quietWaitSeconds ??= {};
    this.record.quietWaitSeconds[key] = (performance.now() - started) / 1000;
  }

  async start() {
    const { folder, upstreamPort } = this.ctx;
    const [publicPort, linkPort] = await freePorts(2);
    const ports = { publicPort, linkPort, upstreamPort };
    this.ports = ports;
    const name = `${this.record.round}-${this.pairing.id.replace('/', '-')}${this.transport === 'tcp' ? '' : `-${this.transport}`}`;
    const stream = linkStreamSettings(this.transport, this.ctx.certificate);
    const files = {};
    for (const [role, config] of [['portal', portalConfig(ports, stream?.server)], ['bridge', bridgeConfig(ports, this.ctx.options.security, stream?.client)]]) {
      files[role] = join(folder, `${name}-${role}.json`);
      writeFileSync(files[role], `${JSON.stringify(config, null, 2)}\n`);
    }
    if ([this.pairing.portal, this.pairing.bridge].some((kind) => kind.startsWith('porthole'))) this.record.engineBuild = buildFingerprint(PORTHOLE_ENGINE);
    const started = performance.now();
    this.portal = startPeer(this.pairing.portal, files.portal, join(folder, `${name}-portal.log`));
    await pollUntil(async () => { this.checkAlive(); return portOpen(linkPort); }, { what: `the portal's link port ${linkPort}` });
    this.bridge = startPeer(this.pairing.bridge, files.bridge, join(folder, `${name}-bridge.log`));
    // Ready = a request made it through the tunnel to the upstream and back.
    await pollUntil(async () => { this.checkAlive(); return this.ctx.client.call('probe', { port: publicPort, timeoutMs: 2000 }); },
      { what: 'a request through the tunnel', timeoutMs: 30_000, everyMs: 50 });
    this.record.startupSeconds = (performance.now() - started) / 1000;
    this.record.pids = { portal: this.portal.pid, bridge: this.bridge.pid };
    this.record.logs = { portal: this.portal.logPath, bridge: this.bridge.logPath };
  }

  async warmUp() {
    const { client, options } = this.ctx;
    const port = this.ports.publicPort;
    if (options.warmupRequests > 0) await client.call('requests', { port, total: options.warmupRequests, concurrency: options.concurrency });
    if (options.warmupMiB > 0) {
      await client.call('download', { port, bytes: options.warmupMiB * MIB, streams: 1 });
      await client.call('upload', { port, bytes: options.warmupMiB * MIB, streams: 1 });
    }
    // Let the last warm-up streams finish at the upstream.
    await pollUntil(async () => (await this.ctx.upstream.call('stats')).open === 0, { what: 'warm-up streams to close', timeoutMs: 30_000 });
    return 'ok';
  }

  async idleStreams() {
    const { client, upstream, options } = this.ctx;
    await this.quiesce('idle');
    const baseline = { portal: memory(this.portal.pid).rss, bridge: memory(this.bridge.pid).rss };
    const opened = await client.call('openIdle', { port: this.ports.publicPort, count: options.idle, concurrency: 50 });
    const atUpstream = (await upstream.call('stats')).idle;
    const after = { portal: memory(this.portal.pid), bridge: memory(this.bridge.pid) };
    const withStreams = { portal: after.portal.rss, bridge: after.bridge.rss };
    this.record.idle = {
      baseline,
      withStreams,
      // The executable's pages are a fixed cost (Node's binary is ~3× V2Ray's); private memory
      // shows the rest.
      anonWithStreams: { portal: after.portal.anon, bridge: after.bridge.anon },
      fileWithStreams: { portal: after.portal.file, bridge: after.bridge.file },
      open: opened.open,
      atUpstream,
      openSeconds: opened.seconds,
      errors: opened.errors,
    };
    await client.call('closeIdle');
    const closing = performance.now();
    await pollUntil(async () => (await upstream.call('stats')).open === 0, { what: 'the idle streams to close at the upstream', timeoutMs: 30_000, everyMs: 50 })
      .catch(async (error) => {
        this.record.errors.push(`idle: ${error.message} (${(await upstream.call('stats')).open} still open)`);
      });
    this.record.idle.closeSeconds = (performance.now() - closing) / 1000;
    if (opened.open < options.idle) throw new Error(`only ${opened.open} of ${options.idle} streams reached the upstream: ${JSON.stringify(opened.errors)}`);
    return `${opened.open} open (${atUpstream} at the upstream); RSS portal ${fmt(withStreams.portal / MIB)} MiB, bridge ${fmt(withStreams.bridge / MIB)} MiB`;
  }

  async requests() {
    const { options } = this.ctx;
    await this.quiesce('requests');
    const roles = ['portal', 'bridge'];
    const timesBefore = Object.fromEntries(roles.map((role) => [role, cpuTimes(this[role].pid)]));
    const ioBefore = Object.fromEntries(roles.map((role) => [role, ioCounters(this[role].pid)]));
    const result = await this.ctx.client.call('requests', { port: this.ports.publicPort, total: options.requests, concurrency: options.concurrency });
    const times = {};
    const cpu = {};
    const io = {};
    for (const role of roles) {
      const now = cpuTimes(this[role].pid);
      times[role] = { user: now.user - timesBefore[role].user, system: now.system - timesBefore[role].system };
      cpu[role] = times[role].user + times[role].system;
      io[role] = difference(ioBefore[role], ioCounters(this[role].pid));
    }
    const calls = roles.reduce((sum, role) => sum + io[role].syscr + io[role].syscw, 0);
    const sorted = result.latencies;
    const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
    this.record.requests = {
      total: result.total, ok: result.ok, seconds: result.seconds, rate: result.ok / result.seconds,
      p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted.at(-1), mean, errors: result.errors,
      cpu, cpuMsPerConnection: ((cpu.portal + cpu.bridge) * 1000) / result.total,
      cpuTimes: times, io, syscallsPerConnection: calls / result.total,
    };
    const r = this.record.requests;
    const failed = r.total - r.ok;
    return `${fmt(r.rate, 0)} conn/s, p50 ${fmt(r.p50, 2)} ms, p99 ${fmt(r.p99, 2)} ms, CPU ${fmt(r.cpuMsPerConnection, 2)} ms/conn${failed ? `, ${failed} FAILED: ${JSON.stringify(r.errors)}` : ''}`;
  }

  async transfer(key, op, streams) {
    const bytes = this.ctx.options.bulkMiB * MIB;
    await this.quiesce(key);
    const before = this.cpu();
    const helpersBefore = { client: cpuSeconds(this.ctx.client.pid), upstream: cpuSeconds(this.ctx.upstream.pid) };
    const ioBefore = { portal: ioCounters(this.portal.pid), bridge: ioCounters(this.bridge.pid) };
    const result = await this.ctx.client.call(op, { port: this.ports.publicPort, bytes, streams });
    const after = this.cpu();
    const io = { portal: difference(ioBefore.portal, ioCounters(this.portal.pid)), bridge: difference(ioBefore.bridge, ioCounters(this.bridge.pid)) };
    const cpu = { portal: after.portal - before.portal, bridge: after.bridge - before.bridge };
    const helpers = { client: cpuSeconds(this.ctx.client.pid) - helpersBefore.client, upstream: cpuSeconds(this.ctx.upstream.pid) - helpersBefore.upstream };
    const entry = { op, streams, bytes: result.bytes, seconds: result.seconds, mbps: result.bytes / 1e6 / result.seconds, cpu, helperCpu: helpers, io };
    entry.cpuPerGiB = (cpu.portal + cpu.bridge) / (result.bytes / GIB);
    this.record.bulk ??= {};
    this.record.bulk[key] = entry;
    return `${fmt(entry.mbps)} MB/s, CPU portal ${fmt(cpu.portal, 2)} s + bridge ${fmt(cpu.bridge, 2)} s`;
  }

  bulkTotals() {
    const entries = Object.values(this.record.bulk ?? {});
    const per = (list) => {
      if (list.length === 0) return undefined;
      const cpu = list.reduce((sum, e) => sum + e.cpu.portal + e.cpu.bridge, 0);
      return cpu / (list.reduce((sum, e) => sum + e.bytes, 0) / GIB);
    };
    // All bulk transfers must have worked for the combined figure to compare like with like.
    const expected = this.ctx.options.parallel > 1 ? 4 : 2;
    const bytes = entries.reduce((sum, e) => sum + e.bytes, 0);
    const calls = entries.reduce((sum, e) => sum + e.io.portal.syscr + e.io.portal.syscw + e.io.bridge.syscr + e.io.bridge.syscw, 0);
    this.record.syscallsPerMiB = entries.length === expected ? calls / (bytes / MIB) : undefined;
    this.record.cpuPerGiB = {
      all: entries.length === expected ? per(entries) : undefined,
      download: per(entries.filter((e) => e.op === 'download')),
      upload: per(entries.filter((e) => e.op === 'upload')),
    };
  }

  /** RSS after `options.settle` quiet seconds: what a process keeps between bursts of traffic. */
  async settle() {
    const seconds = this.ctx.options.settle;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    this.record.settled = { seconds, portal: memory(this.portal.pid).rss, bridge: memory(this.bridge.pid).rss };
    return `RSS portal ${fmt(this.record.settled.portal / MIB)} MiB, bridge ${fmt(this.record.settled.bridge / MIB)} MiB`;
  }

  async stop() {
    if (this.portal && this.bridge && !this.portal.exited() && !this.bridge.exited()) {
      const portal = memory(this.portal.pid);
      const bridge = memory(this.bridge.pid);
      this.record.peak = { portal: portal.hwm, bridge: bridge.hwm };
    }
    const exits = {};
    if (this.bridge) exits.bridge = await this.bridge.stop();
    if (this.portal) exits.portal = await this.portal.stop();
    this.record.exit = exits;
    for (const [role, result] of Object.entries(exits)) {
      if (result.forced) this.record.errors.push(`${role}: did not exit within 5 s of SIGTERM (killed)`);
    }
    this.record.logProblems = {
      portal: this.portal ? logProblems(this.portal.logPath) : undefined,
      bridge: this.bridge ? logProblems(this.bridge.logPath) : undefined,
    };
  }

  async run() {
    const { options } = this.ctx;
    const bulk = `${options.bulkMiB} MiB`;
    const split = `${options.parallel}×${Math.round(options.bulkMiB / options.parallel)} MiB`;
    try {
      this.progress('starting portal and bridge…');
      await this.start();
      this.done(`ready in ${fmt(this.record.startupSeconds, 2)} s`);
      await this.phase('warm-up', () => this.warmUp());
      await this.phase(`${options.idle} idle streams`, () => this.idleStreams());
      await this.phase(`${options.requests} × 1 KiB req/resp, ${options.concurrency} at once`, () => this.requests());
      await this.phase(`download 1×${bulk}`, () => this.transfer('download1', 'download', 1));
      await this.phase(`upload 1×${bulk}`, () => this.transfer('upload1', 'upload', 1));
      if (options.parallel > 1) {
        await this.phase(`download ${split}`, () => this.transfer('downloadN', 'download', options.parallel));
        await this.phase(`upload ${split}`, () => this.transfer('uploadN', 'upload', options.parallel));
      }
      this.bulkTotals();
      if (options.settle > 0) await this.phase(`${options.settle} s quiet`, () => this.settle());
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.record.aborted = true;
      this.record.errors.push(message);
      process.stdout.write(`\n${this.prefix} ABORTED: ${message}\n`);
    } finally {
      await this.stop();
    }
    const problems = this.record.logProblems;
    const logCount = (problems.portal?.count ?? 0) + (problems.bridge?.count ?? 0);
    if (logCount) console.log(`${this.prefix} log: ${problems.portal?.count ?? 0} warning/error lines from the portal, ${problems.bridge?.count ?? 0} from the bridge`);
    return this.record;
  }
}

// ---- main ---------------------------------------------------------------------------------------

/** A problem with the setup rather than a bug: reported in one line, without a stack. */
class SetupError extends Error {}

/** Checks what every pairing needs before anything starts; returns V2Ray's version line. */
function preflight(options) {
  const v2rayVersion = commandOutput(V2RAY_BINARY, ['-version'])?.split('\n')[0];
  if (!v2rayVersion && options.pairings.length > 0) throw new SetupError(`${V2RAY_BINARY} does not run; install v2ray (apt-get install -y v2ray) or set V2RAY_BINARY`);
  if (!existsSync(PORTHOLE_CLI)) throw new SetupError(`${PORTHOLE_CLI} does not exist; check PORTHOLE_CLI`);
  // bin/porthole.js on an older Node hands over to a child on Node 24: the bench would measure the wrong process.
  if (Number.parseInt(process.versions.node, 10) < 24) throw new SetupError(`Porthole runs on Node 24 and this is ${process.version}; run \`npm run bench\` (it uses the pinned Node 24)`);
  if (!existsSync(join(PORTHOLE_ENGINE, 'host', 'cli', 'main.js'))) {
    throw new SetupError(`the engine is not built in ${PORTHOLE_ENGINE}; run \`npm run build:core\` (npm run bench does it)`);
  }
  // The scenarios' own checks come after the engine is known to be built: theirs name its parts.
  if (options.edge) {
    const problem = edgePreflight();
    if (problem) throw new SetupError(problem);
  }
  if (options.inspector) {
    const problem = inspectorPreflight();
    if (problem) throw new SetupError(problem);
  }
  if (options.transports.some(usesTls) && !commandOutput('openssl', ['version'])) {
    throw new SetupError('--transport tls and ws+tls need the openssl CLI (apt-get install -y openssl) to make the link\'s certificate');
  }
  return v2rayVersion;
}

/** The edge scenario after (or instead of) the pairings: its rows, and its record for the results file. */
async function edgeSection(folder) {
  const edge = await runEdgeScenario({ folder });
  console.log('');
  console.log(renderEdgeRows(edge));
  console.log('');
  return edge;
}

/** The inspector scenario after (or instead of) the pairings: its rows, and its record. */
async function inspectorSection(folder) {
  const inspector = await runInspectorScenario({ folder });
  console.log('');
  console.log(renderInspectorRows(inspector));
  console.log('');
  return inspector;
}

async function main() {
  const options = parseOptions();
  const v2rayVersion = preflight(options);
  const started = new Date();
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  const stamp = timestamp(started);
  const folder = join(resultsDir, stamp);
  mkdirSync(folder, { recursive: true });

  const machine = {
    cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg(), memoryMiB: Math.round(os.totalmem() / MIB),
    node: process.version, v2ray: v2rayVersion, commit: commandOutput('git', ['rev-parse', '--short', 'HEAD']),
    dirty: Boolean(commandOutput('git', ['status', '--porcelain', '--untracked-files=no'])),
    portholeCli: PORTHOLE_CLI,
    engineBuild: buildFingerprint(PORTHOLE_ENGINE),
  };
  if (options.pairings.length === 0) {
    // --only edge and/or inspector: those scenarios alone.
    console.log(`Porthole bench: ${SCENARIOS.filter((id) => options[id]).join(' and ')} only; ${machine.cpus} CPUs (${machine.cpuModel ?? 'model unknown'}), load ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}; configs and logs: ${folder}`);
    const edge = options.edge ? await edgeSection(folder) : undefined;
    const inspector = options.inspector ? await inspectorSection(folder) : undefined;
    const file = join(resultsDir, `${stamp}.json`);
    writeFileSync(file, `${JSON.stringify({ startedAt: started.toISOString(), finishedAt: new Date().toISOString(), machine, options: { ...options, pairings: [] }, edge, inspector }, null, 2)}\n`);
    console.log(`All figures: ${file}`);
    if (edge?.aborted || inspector?.aborted) process.exitCode = 1;
    return;
  }
  const steps = options.rounds * options.transports.length * options.pairings.length;
  const transportNote = isTcpOnly(options) ? '' : `; link over ${options.transports.join(', ')}`;
  console.log(`Porthole bench: ${options.pairings.map((p) => p.id).join(', ')} (portal/bridge); ${options.rounds} round(s)${options.security ? `; VMess security ${options.security}` : ''}${transportNote}; ${machine.cpus} CPUs (${machine.cpuModel ?? 'model unknown'}), load ${machine.loadAverage.map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`configs and logs: ${folder}`);
  // One throwaway certificate per run for the TLS transports (the portal's; the bridge trusts it).
  let certificate;
  if (options.transports.some(usesTls)) {
    try {
      certificate = makeLinkCertificate(folder);
    } catch (error) {
      throw new SetupError(`openssl could not make the link's certificate in ${folder}: ${String(error.stderr ?? error.message).trim().split('\n')[0]}`);
    }
  }

  const upstream = await forkHelper(new URL('./upstream.js', import.meta.url));
  const client = await forkHelper(new URL('./client.js', import.meta.url));
  const ctx = { options: { ...options, pairings: undefined }, folder, steps, upstream, client, upstreamPort: upstream.hello.port, certificate };

  const records = [];
  let step = 0;
  for (let round = 1; round <= options.rounds; round += 1) {
    // Odd rounds forwards, even rounds backwards, so that drift in the machine's load hits all alike.
    // Transports likewise: a drift in load must not land on one transport only.
    const order = round % 2 ? options.pairings : [...options.pairings].reverse();
    const transports = round % 2 ? options.transports : [...options.transports].reverse();
    for (const transport of transports) {
      for (const pairing of order) {
        step += 1;
        records.push(await new PairingRun(pairing, transport, round, step, ctx).run());
      }
    }
  }
  await client.stop();
  await upstream.stop();

  const definitions = metricDefinitions(options);
  const summary = summarize(definitions, options.pairings, records);
  const finished = new Date();
  const durationSeconds = (finished - started) / 1000;

  console.log('');
  console.log(`Results (best of ${options.rounds} round(s); pairings are portal/bridge, PH = Porthole; ↑ higher is better, ↓ lower is better;`);
  console.log(`ratio columns: a pairing's figure ÷ ref = ${REFERENCE.label}'s, so > 1× is better on ↑ rows, < 1× is better on ↓ rows):`);
  console.log('');
  console.log(renderTable(definitions, summary, options.pairings, REFERENCE));
  console.log('');
  if (options.rounds > 1) {
    console.log(`The same ratios from each pairing's median round (${options.rounds} rounds; less moved by one lucky or unlucky round):`);
    console.log('');
    console.log(renderMedianRatios(definitions, summary, options.pairings, REFERENCE));
    console.log('');
  }

  const edge = options.edge ? await edgeSection(folder) : undefined;
  const inspector = options.inspector ? await inspectorSection(folder) : undefined;
  const anomalies = [];
  if (edge?.errors.length) anomalies.push(`edge: ${edge.errors.join('; ')}`);
  if (inspector?.errors.length) anomalies.push(`inspector: ${inspector.errors.join('; ')}`);
  const builds = new Set([machine.engineBuild, ...records.map((r) => r.engineBuild).filter(Boolean)]);
  if (builds.size > 1) anomalies.push(`the engine in dist/ was rebuilt during the run (builds ${[...builds].join(', ')}): Porthole figures mix engine versions`);
  for (const record of records) {
    const which = `round ${record.round} ${isTcpOnly(options) ? '' : `${record.transport} `}${record.pairing}`;
    for (const error of record.errors) anomalies.push(`${which}: ${error}`);
    for (const role of ['portal', 'bridge']) {
      const problems = record.logProblems?.[role];
      if (problems?.count) anomalies.push(`${which}: ${role} (${record[role]}) logged ${problems.count} warning/error lines, e.g. ${problems.samples[0]}`);
    }
  }
  if (anomalies.length) {
    console.log('Anomalies:');
    for (const line of anomalies) console.log(`  - ${line}`);
    console.log('');
  }

  const ratios = {};
  for (const def of definitions) {
    ratios[def.key] = {};
    for (const pairing of options.pairings) {
      if (pairing !== REFERENCE) ratios[def.key][pairing.id] = ratio(summary[def.key][pairing.id].value, summary[def.key][REFERENCE.id].value) ?? null;
    }
  }
  const output = {
    startedAt: started.toISOString(), finishedAt: finished.toISOString(), durationSeconds, machine,
    options: { ...options, pairings: options.pairings.map((p) => p.id) }, reference: REFERENCE.id,
    metrics: definitions.map(({ key, metric, transport, label, unit, better, combine }) => ({ key, metric, transport, label, unit, better, combine: combine ?? 'best' })),
    summary, ratios, anomalies, records, ...(edge ? { edge } : {}), ...(inspector ? { inspector } : {}),
  };
  const file = join(resultsDir, `${stamp}.json`);
  writeFileSync(file, `${JSON.stringify(output, null, 2)}\n`);
  console.log(`All figures: ${file}`);
  console.log(`The run took ${Math.floor(durationSeconds / 60)} min ${Math.round(durationSeconds % 60)} s.`);
  // A pairing that could not run at all is a failed bench; slow or failed phases are only reported.
  if (records.some((r) => r.aborted)) process.exitCode = 1;
}

process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping every child process`);
    killAllChildren();
    process.exit(130);
  });
}

main().catch((error) => {
  console.error(error instanceof SetupError ? `bench: ${error.message}` : `\nbench: ${error instanceof Error ? error.stack : error}`);
  killAllChildren();
  process.exitCode = 1;
});
