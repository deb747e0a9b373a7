/**
 * Logs flood (issue "Survival II", defect 7), on a real engine on 127.0.0.1: thousands of bad
 * connections to a VMess inbound, and a bridge whose portal is not there, each write a few lines
 * in full and then summaries whose counts add up, never a line per event.
 */
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { freePorts, waitUntil } from '../../../../test/support/ports.js';
import { bridgeConfig, portalConfig } from '../../../../test/support/reverse-pair.js';
import type { LogEntry } from '../../features/log.js';
import { Instance } from '../../instance.js';
import { REPEAT_BURST } from './repeats.js';

const SUMMARY = /… (\d+) more in the last \d+ s, latest: /;

/** Lines about `what`: those written in full, and the counts of the summaries. */
function tally(lines: readonly string[], what: string): { full: number; summaries: number[] } {
  const about = lines.filter((line) => line.includes(what));
  return {
    full: about.filter((line) => !SUMMARY.test(line)).length,
    summaries: about.map((line) => SUMMARY.exec(line)?.[1]).filter((count) => count !== undefined).map(Number),
  };
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

/** Opens `count` connections to 127.0.0.1:port, `parallel` at a time, each sending garbage and closing. */
async function throwGarbage(port: number, count: number, parallel = 50): Promise<void> {
  let next = 0;
  const one = () => new Promise<void>((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.on('error', () => {});
    socket.resume();
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.once('connect', () => socket.end(randomBytes(300)));
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  await Promise.all(Array.from({ length: parallel }, async () => {
    while (next < count) {
      next += 1;
      await one();
    }
  }));
}

describe('repeated log lines on a live engine', () => {
  it('2,000 bad connections to a VMess inbound write a few lines and a summary that counts the rest', async () => {
    const [publicPort, linkPort, upstreamPort] = await freePorts(3);
    const lines: string[] = [];
    const heard: LogEntry[] = [];
    const instance = new Instance(portalConfig({ publicPort: publicPort!, linkPort: linkPort!, upstreamPort: upstreamPort! }), { logSinks: { error: { write: (line) => lines.push(line) } } });
    instance.logger.onDidLog((entry) => heard.push(entry));
    await instance.start();
    const BAD = 2000;
    try {
      await throwGarbage(linkPort!, BAD);
      // Every rejection is accounted for once the interval ends: a few in full, the rest in summaries.
      await waitUntil(() => {
        const { full, summaries } = tally(lines, 'rejected a connection from 127.0.0.1');
        return full + sum(summaries) >= BAD;
      }, 30_000, `rejections to be written or summed up (${lines.length} lines: ${lines.slice(-2).join(' | ')})`);
      const rejected = tally(lines, 'rejected a connection from 127.0.0.1');
      expect(rejected.full).toBeLessThanOrEqual(REPEAT_BURST);
      expect(rejected.full + sum(rejected.summaries)).toBe(BAD);
      expect(rejected.summaries.length).toBeGreaterThan(0);
      expect(lines.length).toBeLessThanOrEqual(REPEAT_BURST + 3);
      // The UI's log view (a subscriber) gets the summary too.
      expect(heard.some((entry) => entry.kind === 'error' && SUMMARY.test(entry.message) && entry.component === 'proxy/vmess/inbound')).toBe(true);
    } finally {
      await instance.close();
    }
  }, 60_000);

  it('a bridge whose portal port is closed writes a few lines per outage and then summaries, not two lines a dial', async () => {
    const [publicPort, closedPort, upstreamPort] = await freePorts(3);
    const errors: string[] = [];
    const dials: string[] = [];
    const config = bridgeConfig({ publicPort: publicPort!, linkPort: closedPort!, upstreamPort: upstreamPort! });
    const instance = new Instance(config, {
      logSinks: {
        error: { write: (line) => errors.push(line) },
        // One access line per dial the bridge makes (tcp:test.v2ray.com:0 to the VMess outbound).
        access: { write: (line) => { if (line.includes('tcp:test.v2ray.com:0')) dials.push(line); } },
      },
    });
    await instance.start();
    const DIALS = 8;
    let atDials: { dials: number; errors: string[] };
    try {
      await waitUntil(() => dials.length >= DIALS, 60_000, `${DIALS} dials (${dials.length} so far)`);
      atDials = { dials: dials.length, errors: [...errors] };
    } finally {
      await instance.close();
    }
    // Before: each failed dial wrote two lines (the VMess outbound's and the bridge's).
    const bridge = tally(atDials.errors, 'could not open a link to the portal');
    const outbound = tally(atDials.errors, 'failed to reach a server');
    expect(bridge.full).toBeLessThanOrEqual(REPEAT_BURST);
    expect(outbound.full).toBeLessThanOrEqual(REPEAT_BURST);
    expect(atDials.errors.length).toBeLessThan(2 * atDials.dials);
    // Closing wrote the pending summaries: every failed dial is accounted for (one may have been under way at close).
    const finalBridge = tally(errors, 'could not open a link to the portal');
    expect(finalBridge.full + sum(finalBridge.summaries)).toBeGreaterThanOrEqual(dials.length - 1);
    expect(finalBridge.full + sum(finalBridge.summaries)).toBeLessThanOrEqual(dials.length);
    expect(errors.find((line) => line.includes('could not open a link') && !SUMMARY.test(line))).toMatch(/\(attempt 1\): .*ECONNREFUSED.*is the portal running/);
  }, 90_000);
});
