/**
 * V8 settings for a process that carries proxy traffic (the CLI's `run`, the tray app's main process).
 *
 * Why: the data path allocates a socket read buffer per read and keeps a few in flight, so V8's
 * external-memory accounting sees heavy churn while the JS heap stays small (~10 MiB). With
 * incremental marking on, once the old generation sits just above V8's 8 MiB activation threshold
 * (typically after a burst of connections has come and gone), V8 keeps starting a marking cycle every
 * ~20 ms that frees almost nothing: a 256 MiB transfer then costs about twice the CPU (measured:
 * 3.6 → 5.5–7 s/GiB for portal + bridge, 50–90 full GCs instead of 1–2). Without incremental marking
 * the old generation is collected when it really reaches its limit, in one atomic pause that a heap
 * this small keeps within a few milliseconds.
 *
 * `--initial-old-space-size=64` cures it too but only works on the node command line, which a user
 * (or `node bin/porthole.js`) does not pass; this flag still takes effect when set at run time.
 *
 * The price: V8's memory reducer (the GC that gives a quiet process's heap back) runs on incremental
 * marking, so it never runs here; memory-tuning.ts does its job when traffic goes quiet.
 */
import { setFlagsFromString } from 'node:v8';

export const TRAFFIC_GC_FLAGS = ['--no-incremental-marking'] as const;

export function tuneGarbageCollectorForTraffic(): void {
  for (const flag of TRAFFIC_GC_FLAGS) setFlagsFromString(flag);
}
