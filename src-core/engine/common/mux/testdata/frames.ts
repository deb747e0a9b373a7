/**
 * Frame encoders that only tests and fuzzing use: single frames as a 4.34 peer would send them
 * (shared/docs/v2ray-wire-protocol.md §4.2, §4.3 and §5.3; v4.34.0 `common/mux/writer.go`,
 * `app/reverse/portal.go`). Sessions write through `../writer.ts`.
 *
 *   Keep + Data          0004 ‖ id ‖ 02 ‖ 01 ‖ D ‖ data
 *   KeepAlive            0004 ‖ id ‖ 04 ‖ 00          (4.34 accepts it but never sends it)
 *   control New (+Data)  0023 0001 01 0? 02 0000 02 1a "reverse.internal.v2ray.com" [‖ D ‖ Control]
 *
 * Each helper returns one Buffer (data copied in).
 */
import { AddressType } from '../address.js';
import { CONTROL_DOMAIN, CONTROL_SESSION_ID } from '../consts.js';
import { type MuxTarget, FrameStatus, TargetNetwork, encodeFrame } from '../frame.js';
import { checkDataSize, encodeNewFrame } from '../writer.js';

/** Target of the reverse proxy's control session: UDP `reverse.internal.v2ray.com:0`. */
export const CONTROL_TARGET: MuxTarget = {
  network: TargetNetwork.UDP,
  address: { type: AddressType.Domain, host: CONTROL_DOMAIN },
  port: 0,
};

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
