#!/usr/bin/env node
/**
 * The floor under the bench: two plain Node relays (bench/relay.js: accept, connect, `pipe` both
 * ways; no Mux, no VMess, no crypto) chained between the bench's own client and upstream, where the
 * portal and the bridge stand in `npm run bench`. What they reach is what Node's sockets alone
 * allow on this machine; Porthole's own cost is the distance to it. Not part of `npm test`.
 *
 *   node bench/floor.js [--rounds N] [--bulk-mib N] [--requests N] [--concurrency N]
 */
import { parseArgs } from 'node:util';
import { forkHelper, killAllChildren } from './lib/procs.js';
import { cpuSeconds, median } from './lib/util.js';

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

function parseOptions() {
  let values;
  try {
    ({ values } = parseArgs({
      options: { rounds: { type: 'string' }, 'bulk-mib': { type: 'string' }, requests: { type: 'string' }, concurrency: { type: 'string' } },
    }));
  } catch (error) {
    console.error(`floor: ${error.message.split('\n')[0]}`);
    process.exit(2);
  }
  const int = (flag, fallback) => {
    const text = values[flag];
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      console.error(`floor: --${flag} must be an integer ≥ 1, got "${text}"`);
      process.exit(2);
    }
    return value;
  };
  return { rounds: int('rounds', 4), bulkMiB: int('bulk-mib', 256), requests: int('requests', 2000), concurrency: int('concurrency', 32) };
}

const fmt = (value, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main() {
  const options = parseOptions();
  const upstream = await forkHelper(new URL('./upstream.js', import.meta.url));
  const client = await forkHelper(new URL('./client.js', import.meta.url));
  // Service side first: the "bridge" relay forwards to the upstream, the "portal" relay to it.
  const bridge = await forkHelper(new URL('./relay.js', import.meta.url), { args: [String(upstream.hello.port)] });
  const portal = await forkHelper(new URL('./relay.js', import.meta.url), { args: [String(bridge.hello.port)] });
  const port = portal.hello.port;
  const relayCpu = () => cpuSeconds(portal.pid) + cpuSeconds(bridge.pid);
  const rows = { download: [], upload: [], cpuPerGiB: [], connRate: [], cpuPerConnection: [] };
  // The same warm-up as the bench's default.
  await client.call('requests', { port, total: 200, concurrency: options.concurrency });
  for (let round = 1; round <= options.rounds; round += 1) {
    let bulkCpu = 0;
    let bulkBytes = 0;
    for (const op of ['download', 'upload']) {
      const before = relayCpu();
      const result = await client.call(op, { port, bytes: options.bulkMiB * MIB, streams: 1 });
      bulkCpu += relayCpu() - before;
      bulkBytes += result.bytes;
      rows[op].push(result.bytes / 1e6 / result.seconds);
    }
    rows.cpuPerGiB.push(bulkCpu / (bulkBytes / GIB));
    const before = relayCpu();
    const result = await client.call('requests', { port, total: options.requests, concurrency: options.concurrency });
    rows.connRate.push(result.ok / result.seconds);
    rows.cpuPerConnection.push(((relayCpu() - before) / result.ok) * 1000);
    process.stdout.write(`round ${round}/${options.rounds}: ${fmt(rows.download.at(-1))} MB/s down, ${fmt(rows.upload.at(-1))} MB/s up, ${fmt(rows.connRate.at(-1), 0)} conn/s\n`);
  }
  const best = (values, higher) => (higher ? Math.max(...values) : Math.min(...values));
  console.log('');
  console.log(`Two plain Node relays (no Mux, no VMess, no crypto), ${options.rounds} rounds, best (median):`);
  console.log(`  download 1×${options.bulkMiB} MiB   ${fmt(best(rows.download, true))} (${fmt(median(rows.download))}) MB/s`);
  console.log(`  upload 1×${options.bulkMiB} MiB     ${fmt(best(rows.upload, true))} (${fmt(median(rows.upload))}) MB/s`);
  console.log(`  CPU both relays, bulk  ${fmt(best(rows.cpuPerGiB, false), 2)} (${fmt(median(rows.cpuPerGiB), 2)}) s/GiB`);
  console.log(`  new connections        ${fmt(best(rows.connRate, true), 0)} (${fmt(median(rows.connRate), 0)}) conn/s`);
  console.log(`  CPU both relays        ${fmt(best(rows.cpuPerConnection, false), 3)} (${fmt(median(rows.cpuPerConnection), 3)}) ms per connection`);
  await Promise.all([portal.stop(), bridge.stop(), client.stop(), upstream.stop()]);
}

main().catch((error) => {
  console.error(`floor: ${error instanceof Error ? error.message : String(error)}`);
  killAllChildren();
  process.exit(1);
});
