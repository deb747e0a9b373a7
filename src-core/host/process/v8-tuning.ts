/**
 * V8 settings for a process that carries proxy traffic (the CLI's `run`, the tray app's main
 * process). Both are set at run time: a `node` command line is not ours to choose.
 *
 * 1. `--no-incremental-marking`. The data path allocates a socket read buffer per read and keeps
 *    a few in flight, so V8's external-memory accounting sees heavy churn while the JS heap stays
 *    small (~10 MiB). With incremental marking on, once the old generation sits just above V8's
 *    8 MiB activation threshold (typically after a burst of connections has come and gone), V8
 *    keeps starting a marking cycle every ~20 ms that frees almost nothing: a 256 MiB transfer then
 *    costs about twice the CPU (measured: 3.6 → 5.5–7 s/GiB for portal + bridge, 50–90 full GCs
 *    instead of 1–2). Without incremental marking the old generation is collected when it really
 *    reaches its limit, in one atomic pause that a heap this small keeps within a few milliseconds.
 *    (`--initial-old-space-size=64` cures it too, but only on the command line.) The price: V8's
 *    memory reducer runs on incremental marking, so memory-tuning.ts does its job instead.
 *
 * 2. `--interrupt-budget=16000`, V8 11 (Node 20) only (V8's default is 132 KiB of bytecode executed). A new connection
 *    runs a long, branchy path once (accept, Socket and stream constructors, dispatch, routing, a
 *    Mux session, teardown), across hundreds of functions in Node and the engine; each one stays
 *    in the interpreter until its budget is spent. A proxy lives on that path, so optimizing it
 *    early pays back within the first thousands of connections and costs nothing afterwards.
 *    Measured with the bench's 2,000 1 KiB requests (portal + bridge): 0.36 → 0.27 ms CPU per
 *    connection, 3,400 → 4,100 conn/s; bulk CPU per GiB unchanged. 6,000 was no better than
 *    16,000 and made p99 worse (more compilation competing for the two cores); 32,000 was
 *    in between.
 */
import { setFlagsFromString } from 'node:v8';

/**
 * The flags for the V8 at hand. V8 12 (Node 22) replaced the interrupt budget with invocation
 * counts and Maglev, and rejects the flag with an error line at every start: it is V8 11's only.
 * V8 13 (Node 24) starts a full, atomic GC (incremental marking being off) whenever the Buffers
 * allocated since the last one pass its external-memory limit: a bulk transfer then paid a
 * Mark-Compact every ~150 ms on an 11 MiB heap (21 in one bench round against 3 on Node 20).
 * `--external-memory-accounted-in-global-limit` folds that memory into the heap's global limit
 * instead: 2 Mark-Compacts, and the upload's CPU back from 1.81 to 1.31 s per 256 MiB. Set on V8 13
 * only, where it was checked (V8 rejects an unknown flag with an error line).
 */
export function trafficV8Flags(v8Version: string = process.versions.v8): string[] {
  const major = Number.parseInt(v8Version, 10);
  if (major <= 11) return ['--no-incremental-marking', '--interrupt-budget=16000'];
  if (major === 13) return ['--no-incremental-marking', '--external-memory-accounted-in-global-limit'];
  return ['--no-incremental-marking'];
}

export function tuneV8ForTraffic(): void {
  for (const flag of trafficV8Flags()) setFlagsFromString(flag);
}
