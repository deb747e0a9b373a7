import { describe, expect, it } from 'vitest';
import { ControlState, encodeControl } from '../../app/reverse/control.js';
import { BugError, hasErrorCode } from '../errors.js';
import { AddressType } from './address.js';
import { MAX_PACKET_DATA, MAX_STREAM_DATA } from './consts.js';
import { FrameStatus, TargetNetwork } from './frame.js';
import { FrameReader } from './reader.js';
import { loadCaptures } from './testdata/captures.js';
import { wire } from './testdata/vectors.js';
import { CONTROL_TARGET, encodeControlFrame, encodeControlNewFrame, encodeKeepAliveFrame, encodeKeepFrame, encodePacketFrame } from './testdata/frames.js';
import { encodeEndFrame, encodeNewFrame } from './writer.js';

const hex = (bytes: Buffer): string => bytes.toString('hex');
const localhost = { type: AddressType.IPv4, host: '127.0.0.1' } as const;

function thrownCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return hasErrorCode(error, 'PH_MUX_BAD_FRAME') ? 'PH_MUX_BAD_FRAME' : error instanceof BugError ? 'BugError' : String(error);
  }
  return undefined;
}

describe('the frames 4.34 sends', () => {
  const captured = new Map(
    [...loadCaptures().portal.frames, ...(loadCaptures().bridge?.frames ?? [])].map((f) => [f.name, f.hex] as const),
  );

  it('New + Data to TCP (as the portal opens an internet session)', () => {
    const frame = encodeNewFrame(2, { network: TargetNetwork.TCP, address: localhost, port: 20002 }, Buffer.from('hello'));
    expect(hex(frame)).toBe(captured.get('New + Data, TCP 127.0.0.1:20002, "hello"'));
  });

  it('New + Data to UDP', () => {
    const frame = encodeNewFrame(3, { network: TargetNetwork.UDP, address: localhost, port: 20002 }, Buffer.from('dgram1'));
    expect(hex(frame)).toBe(captured.get('New + Data, UDP 127.0.0.1:20002, "dgram1"'));
    expect(hex(encodePacketFrame(3, Buffer.from('dgram1'), { network: TargetNetwork.UDP, address: localhost, port: 20002 }))).toBe(hex(frame));
  });

  it('bare New', () => {
    expect(hex(encodeNewFrame(4, { network: TargetNetwork.TCP, address: localhost, port: 20002 }))).toBe(
      captured.get('bare New after the 100 ms first-payload wait'),
    );
  });

  it('Keep + Data', () => {
    expect(hex(encodeKeepFrame(2, Buffer.from('PONG')))).toBe(captured.get('Keep + Data "PONG" (the reply to New + Data "pong")'));
    expect(hex(encodePacketFrame(2, Buffer.from('PONG')))).toBe(captured.get('Keep + Data "PONG" (the reply to New + Data "pong")'));
  });

  it('End (option 0) and End + Error', () => {
    expect(hex(encodeEndFrame(2))).toBe(captured.get('End (option 0) after the target closed'));
    expect(hex(encodeEndFrame(77))).toBe(captured.get('End answering Keep + Data for unknown session 77'));
    expect(hex(encodeEndFrame(3, true))).toBe(captured.get('End + Error answering End + Error'));
    expect(hex(encodeEndFrame(2, true))).toBe(hex(wire('0004 0002 03 02')));
  });

  it('KeepAlive', () => {
    expect(hex(encodeKeepAliveFrame())).toBe('000400000400');
    expect(hex(encodeKeepAliveFrame(5))).toBe('000400050400');
  });

  it('the control New, with and without the first Control (wire doc §5.3)', () => {
    const head = '0023 0001 01 %s 02 0000 02 1a "reverse.internal.v2ray.com"';
    expect(hex(encodeControlNewFrame())).toBe(hex(wire(head.replace('%s', '00'))));
    expect(hex(encodeControlNewFrame(Buffer.alloc(0)))).toBe(hex(wire(`${head.replace('%s', '01')} 0000`)));
    const control = encodeControl(ControlState.Active, Buffer.from('f3d5', 'hex'));
    expect(hex(encodeControlNewFrame(control))).toBe(hex(wire(`${head.replace('%s', '01')} 0005 9a0602f3d5`)));
    const first = captured.get('control New + first Control') ?? '';
    expect(hex(encodeControlNewFrame(Buffer.from(first.slice(2 * 39), 'hex')))).toBe(first);
  });

  it('later Control messages: Keep + Data on session 1', () => {
    const heartbeat = captured.get('heartbeat Control (ACTIVE) as Keep + Data') ?? '';
    expect(hex(encodeControlFrame(Buffer.from(heartbeat.slice(16), 'hex')))).toBe(heartbeat);
    const drain = captured.get('Control DRAIN') ?? '';
    expect(hex(encodeControlFrame(Buffer.from(drain.slice(16), 'hex')))).toBe(drain);
  });

  it('CONTROL_TARGET is what the reader sees in a control New', () => {
    const { frames } = new FrameReader().push(encodeControlNewFrame());
    expect(frames[0]?.meta).toEqual({ sessionId: 1, status: FrameStatus.New, option: 0, target: CONTROL_TARGET });
  });
});

describe('limits', () => {
  const udp = { network: TargetNetwork.UDP, address: localhost, port: 53 } as const;
  const tcp = { network: TargetNetwork.TCP, address: localhost, port: 80 } as const;

  it('a datagram over 2048 bytes is a PortholeError (it comes from the network)', () => {
    expect(thrownCode(() => encodePacketFrame(1, Buffer.alloc(MAX_PACKET_DATA)))).toBeUndefined();
    expect(thrownCode(() => encodePacketFrame(1, Buffer.alloc(MAX_PACKET_DATA + 1)))).toBe('PH_MUX_BAD_FRAME');
    expect(thrownCode(() => encodeNewFrame(1, udp, Buffer.alloc(MAX_PACKET_DATA + 1)))).toBe('PH_MUX_BAD_FRAME');
    expect(thrownCode(() => encodeControlFrame(Buffer.alloc(MAX_PACKET_DATA + 1)))).toBe('PH_MUX_BAD_FRAME');
  });

  it('a stream frame over 8192 bytes is a BugError (split with encodeDataFrames)', () => {
    expect(thrownCode(() => encodeKeepFrame(1, Buffer.alloc(MAX_STREAM_DATA)))).toBeUndefined();
    expect(thrownCode(() => encodeKeepFrame(1, Buffer.alloc(MAX_STREAM_DATA + 1)))).toBe('BugError');
    expect(thrownCode(() => encodeNewFrame(1, tcp, Buffer.alloc(MAX_STREAM_DATA + 1)))).toBe('BugError');
  });
});
