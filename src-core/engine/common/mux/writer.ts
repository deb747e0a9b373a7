/**
 * The frames a V2Ray 4.34 mux peer sends (shared/docs/v2ray-wire-protocol.md §4.2, §4.3 and §5.3;
 * v4.34.0 `common/mux/writer.go`, `app/reverse/portal.go`).
 *
 *   New, no data         ML ‖ id ‖ 01 ‖ 00 ‖ net ‖ port ‖ addr
 *   New + Data           ML ‖ id ‖ 01 ‖ 01 ‖ net ‖ port ‖ addr ‖ D ‖ data
 *   Keep + Data          0004 ‖ id ‖ 02 ‖ 01 ‖ D ‖ data
 *   End                  0004 ‖ id ‖ 03 ‖ 00
 *   End + Error          0004 ‖ id ‖ 03 ‖ 02
 *   KeepAlive            0004 ‖ id ‖ 04 ‖ 00          (4.34 accepts it but never sends it)
 *   control New (+Data)  0023 0001 01 0? 02 0000 02 1a "reverse.internal.v2ray.com" [‖ D ‖ Control]
 *
 * Each helper returns one Buffer (data copied in). For large stream payloads without copying, use
 * `encodeDataFrames` / `encodeFrameHeader` from frame.ts.
 */

import { BugError, PortholeError } from '../errors.js';
import { AddressType } from './address.js';
import { CONTROL_DOMAIN, CONTROL_SESSION_ID, MAX_PACKET_DATA, MAX_STREAM_DATA } from './consts.js';
import { type MuxTarget, FrameOption, FrameStatus, TargetNetwork, encodeFrame } from './frame.js';

/** Target of the reverse proxy's control session: UDP `reverse.internal.v2ray.com:0`. */
export const CONTROL_TARGET: MuxTarget = {
  network: TargetNetwork.UDP,
  address: { type: AddressType.Domain, host: CONTROL_DOMAIN },
  port: 0,
};

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

/** Keep + Data for a stream session (≤ 8192 bytes, else `BugError`). */
export function encodeKeepFrame(sessionId: number, data: Buffer): Buffer {
  checkDataSize(data, TargetNetwork.TCP);
  return encodeFrame({ sessionId, status: FrameStatus.Keep, option: 0 }, data);
}

/**
 * One datagram of a packet (UDP) session: New to `target` when given (the session's first frame), else
 * Keep. More than 2048 bytes is a `PortholeError` (PH_MUX_BAD_FRAME): a 4.34 reader would drop the link.
 */
export function encodePacketFrame(sessionId: number, datagram: Buffer, target?: MuxTarget): Buffer {
  checkDataSize(datagram, TargetNetwork.UDP);
  return target === undefined
    ? encodeFrame({ sessionId, status: FrameStatus.Keep, option: 0 }, datagram)
    : encodeFrame({ sessionId, status: FrameStatus.New, option: 0, target }, datagram);
}

/** End (option 0) on local EOF, or End + Error when reading local input failed (4.34 `Writer.Close`). */
export function encodeEndFrame(sessionId: number, withError = false): Buffer {
  return encodeFrame({ sessionId, status: FrameStatus.End, option: withError ? FrameOption.Error : 0 });
}

/** KeepAlive without data. 4.34 never sends one; a peer discards it. */
export function encodeKeepAliveFrame(sessionId = 0): Buffer {
  return encodeFrame({ sessionId, status: FrameStatus.KeepAlive, option: 0 });
}

/**
 * The portal's control-channel New on session 1 (UDP, port 0, `reverse.internal.v2ray.com`), carrying
 * the first encoded Control message when given (which may be empty: a 0-byte ACTIVE message).
 */
export function encodeControlNewFrame(control?: Buffer): Buffer {
  return encodeNewFrame(CONTROL_SESSION_ID, CONTROL_TARGET, control);
}

/** A later Control message: Keep + Data on session 1. */
export function encodeControlFrame(control: Buffer): Buffer {
  return encodePacketFrame(CONTROL_SESSION_ID, control);
}

function checkDataSize(data: Buffer, network: TargetNetwork): void {
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
