/**
 * Writing Mux.Cool frames to a link (shared/docs/v2ray-wire-protocol.md §4.2, §4.3; v4.34.0
 * `common/mux/writer.go`). The frames a session sends besides its data (which frame.ts builds
 * as `packDataFrames` / `dataFramePieces`):
 *
 *   New, no data         ML ‖ id ‖ 01 ‖ 00 ‖ net ‖ port ‖ addr
 *   New + Data           ML ‖ id ‖ 01 ‖ 01 ‖ net ‖ port ‖ addr ‖ D ‖ data
 *   End                  0004 ‖ id ‖ 03 ‖ 00
 *   End + Error          0004 ‖ id ‖ 03 ‖ 02
 *   KeepAlive + Data     0004 ‖ 0000 ‖ 04 ‖ 01 ‖ D ‖ data     (Porthole's flow control, flow.ts)
 *
 * `FrameWriter` batches: the frames written in one event-loop turn, by every session of the link,
 * leave as one `writev` of the link in the turn's check phase (`setImmediate`), so a VMess link
 * seals them as one chunk (one cipher call, one syscall) instead of one per frame.
 */
import type { Writable } from 'node:stream';
import { BugError, PortholeError } from '../errors.js';
import { MAX_PACKET_DATA, MAX_STREAM_DATA } from './consts.js';
import { type MuxTarget, FrameOption, FrameStatus, TargetNetwork, encodeFrame, encodeFrameHeader } from './frame.js';

/**
 * Batched bytes that are written at once rather than at the end of the turn: a bulk transfer's
 * batch is already large, and holding it only grows buffers (as the pump's COALESCE_FLUSH_BYTES).
 */
export const FRAME_BATCH_FLUSH_BYTES = 32 * 1024;

/**
 * A session's first frame: New to `target`, with Data when `data` is given (4.34 sends the first payload
 * in the New frame when it arrives within 100 ms). Data is limited to 8192 bytes for TCP (a `BugError`
 * otherwise: split with `encodeDataFrames`) and to one 2048-byte datagram for UDP (a `PortholeError`
 * PH_MUX_BAD_FRAME otherwise, since datagram sizes come from the network).
 */
export function encodeNewFrame(sessionId: number, target: MuxTarget, data?: Buffer): Buffer {
  if (data !== undefined) checkDataSize(data, target.network);
  return encodeFrame({ sessionId, status: FrameStatus.New, option: 0, target }, data);
}

/** End (option 0) on local EOF, or End + Error when reading local input failed (4.34 `Writer.Close`). */
export function encodeEndFrame(sessionId: number, withError = false): Buffer {
  return encodeFrame({ sessionId, status: FrameStatus.End, option: withError ? FrameOption.Error : 0 });
}

/** KeepAlive + Data on session 0: 4.34 discards the data, Porthole reads flow control from it. */
export function encodeKeepAliveDataFrame(data: Buffer): Buffer {
  const header = encodeFrameHeader({ sessionId: 0, status: FrameStatus.KeepAlive, option: 0 }, data.length);
  return joinFrame(header, data);
}

/** Header and payload in one buffer (small frames: packets, KeepAlive). */
export function joinFrame(header: Buffer, data: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(header.length + data.length);
  header.copy(frame, 0);
  data.copy(frame, header.length);
  return frame;
}

export function checkDataSize(data: Buffer, network: TargetNetwork): void {
  if (network === TargetNetwork.UDP) {
    if (data.length > MAX_PACKET_DATA) {
      throw new PortholeError(
        'PH_MUX_BAD_FRAME',
        `mux: datagram of ${data.length} bytes exceeds the Mux.Cool packet limit of ${MAX_PACKET_DATA}`,
      );
    }
  } else if (data.length > MAX_STREAM_DATA) {
    throw new BugError(`mux: ${data.length} bytes in one stream frame (max ${MAX_STREAM_DATA}); use encodeDataFrames`);
  }
}

type WriteCallback = (error?: Error | null) => void;

/**
 * Writes frames to one link, batched per event-loop turn, with backpressure: a write's callback
 * runs once the link has room (at once when it had room), so a session writes no faster than the
 * link drains. `prelude` goes out before the first frame (the flow-control announcement).
 */
export class FrameWriter {
  private corked = false;
  private prelude: Buffer | undefined;
  private readonly drainWaiters: WriteCallback[] = [];
  private readonly flushBatch = (): void => this.flush();

  constructor(private readonly link: Writable, prelude?: Buffer) {
    this.prelude = prelude;
    link.on('drain', () => this.releaseDrainWaiters());
  }

  /** Whether anything went out yet (the prelude leaves with the first write). */
  get started(): boolean {
    return this.prelude === undefined;
  }

  /**
   * Queues `frames` in this turn's batch. Returns whether the link has room; `callback` runs once
   * the link accepted them.
   */
  write(frames: readonly Buffer[], callback?: WriteCallback): boolean {
    const link = this.link;
    if (!this.corked) {
      this.corked = true;
      link.cork();
      setImmediate(this.flushBatch);
    }
    let room = true;
    const prelude = this.prelude;
    if (prelude) {
      this.prelude = undefined;
      room = link.write(prelude);
    }
    for (let i = 0; i < frames.length; i += 1) room = link.write(frames[i]);
    if (link.writableLength >= FRAME_BATCH_FLUSH_BYTES) this.flush();
    if (!callback) return room;
    if (room) callback();
    else this.drainWaiters.push(callback);
    return room;
  }

  /** Runs `resume` once the link drains (after `write` returned false). */
  whenRoom(resume: () => void): void {
    this.drainWaiters.push(resume);
  }

  /** Sends the prelude now if nothing went out yet (the peer announced first and waits for ours). */
  start(): void {
    if (this.prelude) this.write([]);
  }

  /** The link is gone: writes that wait for room fail with `error`. */
  fail(error: Error): void {
    const waiters = this.drainWaiters.splice(0);
    for (const resume of waiters) resume(error);
  }

  private flush(): void {
    if (!this.corked) return;
    this.corked = false;
    this.link.uncork();
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters.splice(0);
    for (const resume of waiters) resume();
  }
}
