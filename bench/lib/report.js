/** The metrics of the summary table: how each is read from a run's record, and how it prints. */
import { median } from './util.js';

const MIB = 1024 * 1024;

/**
 * better: 'higher' or 'lower'. pick(record) → number | undefined. combine: how rounds are folded
 * ('best': the best round, as noise on a shared machine only ever makes results worse; 'sum').
 *
 * With several link transports (`options.transports`, default ['tcp']) every metric has one row
 * per transport, next to each other: label "… (ws+tls)", key "<metric>@ws+tls". The tcp rows keep
 * the plain key (and, in a tcp-only run, the plain label), so results of every run compare.
 * `metric` is the key without the transport; `transport` which records the row reads.
 */
export function metricDefinitions(options) {
  const transports = options.transports?.length ? options.transports : ['tcp'];
  const tcpOnly = transports.length === 1 && transports[0] === 'tcp';
  return baseDefinitions(options).flatMap((def) => transports.map((transport) => ({
    ...def,
    metric: def.key,
    transport,
    key: transport === 'tcp' ? def.key : `${def.key}@${transport}`,
    label: tcpOnly ? def.label : `${def.label} (${transport})`,
  })));
}

function baseDefinitions(options) {
  const bulk = `${options.bulkMiB} MiB`;
  const split = `${options.parallel}×${Math.round(options.bulkMiB / options.parallel)} MiB`;
  const defs = [
    { key: 'download1', label: `download 1×${bulk}`, unit: 'MB/s', better: 'higher', digits: 1, pick: (r) => r.bulk?.download1?.mbps },
    { key: 'upload1', label: `upload 1×${bulk}`, unit: 'MB/s', better: 'higher', digits: 1, pick: (r) => r.bulk?.upload1?.mbps },
  ];
  if (options.parallel > 1) {
    defs.push(
      { key: 'downloadN', label: `download ${split}`, unit: 'MB/s', better: 'higher', digits: 1, pick: (r) => r.bulk?.downloadN?.mbps },
      { key: 'uploadN', label: `upload ${split}`, unit: 'MB/s', better: 'higher', digits: 1, pick: (r) => r.bulk?.uploadN?.mbps },
    );
  }
  defs.push(
    { key: 'cpuPerGiB', label: 'CPU portal+bridge, all bulk', unit: 's/GiB', better: 'lower', digits: 2, pick: (r) => r.cpuPerGiB?.all },
    { key: 'cpuPerGiBDown', label: 'CPU portal+bridge, download', unit: 's/GiB', better: 'lower', digits: 2, pick: (r) => r.cpuPerGiB?.download },
    { key: 'cpuPerGiBUp', label: 'CPU portal+bridge, upload', unit: 's/GiB', better: 'lower', digits: 2, pick: (r) => r.cpuPerGiB?.upload },
    { key: 'syscallsPerMiB', label: 'read+write syscalls, portal+bridge', unit: '/MiB', better: 'lower', digits: 0, pick: (r) => r.syscallsPerMiB },
    { key: 'connRate', label: `new connections (${options.concurrency} at once)`, unit: 'conn/s', better: 'higher', digits: 0, pick: (r) => r.requests?.rate },
    { key: 'p50', label: '1 KiB req/resp latency p50', unit: 'ms', better: 'lower', digits: 2, pick: (r) => r.requests?.p50 },
    { key: 'p99', label: '1 KiB req/resp latency p99', unit: 'ms', better: 'lower', digits: 2, pick: (r) => r.requests?.p99 },
    { key: 'cpuPerConnection', label: 'CPU portal+bridge per connection', unit: 'ms', better: 'lower', digits: 2, pick: (r) => r.requests?.cpuMsPerConnection },
    { key: 'syscallsPerConnection', label: 'read+write syscalls per connection', unit: 'count', better: 'lower', digits: 1, pick: (r) => r.requests?.syscallsPerConnection },
    { key: 'failedRequests', label: `failed requests (of ${options.requests}/round)`, unit: 'count', better: 'lower', digits: 0, combine: 'sum', pick: (r) => (r.requests ? r.requests.total - r.requests.ok : undefined) },
    { key: 'rssPortalIdle', label: `RSS portal, ${options.idle} idle streams`, unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.idle?.withStreams?.portal) },
    { key: 'rssBridgeIdle', label: `RSS bridge, ${options.idle} idle streams`, unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.idle?.withStreams?.bridge) },
    { key: 'anonPortalIdle', label: `private memory (RssAnon) portal, ${options.idle} idle`, unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.idle?.anonWithStreams?.portal) },
    { key: 'anonBridgeIdle', label: `private memory (RssAnon) bridge, ${options.idle} idle`, unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.idle?.anonWithStreams?.bridge) },
    { key: 'rssPortalBase', label: 'RSS portal, no streams (warm)', unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.idle?.baseline?.portal) },
    { key: 'rssBridgeBase', label: 'RSS bridge, no streams (warm)', unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.idle?.baseline?.bridge) },
    { key: 'rssPortalSettled', label: `RSS portal, ${options.settle} s after traffic`, unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.settled?.portal) },
    { key: 'rssBridgeSettled', label: `RSS bridge, ${options.settle} s after traffic`, unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.settled?.bridge) },
    { key: 'hwmPortal', label: 'peak RSS portal (whole run)', unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.peak?.portal) },
    { key: 'hwmBridge', label: 'peak RSS bridge (whole run)', unit: 'MiB', better: 'lower', digits: 1, pick: (r) => mib(r.peak?.bridge) },
  );
  return defs;
}

function mib(bytes) {
  return bytes === undefined || !Number.isFinite(bytes) ? undefined : bytes / MIB;
}

/** Folds the rounds of one pairing into one value per metric (and transport; a record without one is tcp). */
export function summarize(definitions, pairings, records) {
  const summary = {};
  for (const def of definitions) {
    summary[def.key] = {};
    const transport = def.transport ?? 'tcp';
    for (const pairing of pairings) {
      const values = records.filter((r) => r.pairing === pairing.id && (r.transport ?? 'tcp') === transport).map(def.pick).filter((v) => typeof v === 'number' && Number.isFinite(v));
      let value;
      if (values.length === 0) value = undefined;
      else if (def.combine === 'sum') value = values.reduce((a, b) => a + b, 0);
      else value = def.better === 'higher' ? Math.max(...values) : Math.min(...values);
      summary[def.key][pairing.id] = { value, rounds: values, median: median(values) };
    }
  }
  return summary;
}

function formatNumber(value, digits) {
  if (value === undefined || !Number.isFinite(value)) return 'fail';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Ratio of a pairing to the reference pairing, or undefined when it means nothing. */
export function ratio(value, reference) {
  if (value === undefined || reference === undefined || !Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return undefined;
  return value / reference;
}

/** The table: metrics in rows, pairings in columns, then each pairing ÷ the reference pairing ("ref"). */
export function renderTable(definitions, summary, pairings, reference) {
  const others = pairings.filter((p) => p.id !== reference.id);
  const header = ['metric', 'unit', '', ...pairings.map((p) => p.label), ...others.map((p) => `${p.label} ÷ ref`)];
  const rows = definitions.map((def) => {
    const cells = summary[def.key];
    return [
      def.label,
      def.unit,
      def.better === 'higher' ? '↑' : '↓',
      ...pairings.map((p) => formatNumber(cells[p.id]?.value, def.digits)),
      ...others.map((p) => formatRatio(ratio(cells[p.id]?.value, cells[reference.id]?.value))),
    ];
  });
  return layOut(header, rows);
}

/**
 * The ratio columns again, from each pairing's median round instead of its best: one lucky round
 * of either side moves the best-round ratio (on this shared machine, V2Ray's connection rate alone
 * has spanned 4,700–7,100 conn/s within one run), the median much less.
 */
export function renderMedianRatios(definitions, summary, pairings, reference) {
  const others = pairings.filter((p) => p.id !== reference.id);
  const header = ['metric', 'unit', '', ...others.map((p) => `${p.label} ÷ ref`)];
  const rows = definitions
    .filter((def) => def.combine !== 'sum')
    .map((def) => {
      const cells = summary[def.key];
      return [def.label, def.unit, def.better === 'higher' ? '↑' : '↓', ...others.map((p) => formatRatio(ratio(cells[p.id]?.median, cells[reference.id]?.median)))];
    });
  return layOut(header, rows);
}

function formatRatio(value) {
  return value === undefined ? '–' : `${value.toFixed(2)}×`;
}

/** Columns padded to their widest cell: the first three left-aligned, the rest right-aligned. */
function layOut(header, rows) {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => [...row[i]].length)));
  const line = (row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
