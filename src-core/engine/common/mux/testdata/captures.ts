/**
 * Shape of `v2ray-4.34-captures.json`: Mux.Cool byte streams that the real V2Ray 4.34 wrote, with
 * single frames cut out of them and what each must decode to. Written by
 * `../v2ray-capture.integration.test.ts` (PORTHOLE_UPDATE_CAPTURES=1), read by `../frame.test.ts`.
 */

import { readFileSync } from 'node:fs';
import type { MuxFrame } from '../frame.js';

/** A frame in plain JSON terms. */
export interface FrameDescription {
  readonly sessionId: number;
  readonly status: number;
  readonly option: number;
  readonly target?: { readonly network: number; readonly addressType: number; readonly host: string; readonly port: number };
  readonly dataHex?: string;
}

/** One frame cut out of a captured stream. */
export interface CapturedFrame {
  readonly name: string;
  readonly hex: string;
  readonly expected: FrameDescription;
}

/** Everything v2ray wrote on one link, in order. */
export interface CapturedStream {
  readonly description: string;
  readonly streamHex: string;
  readonly frames: readonly CapturedFrame[];
}

/** The whole file. */
export interface CaptureFile {
  readonly source: string;
  readonly portal: CapturedStream;
  readonly bridge?: CapturedStream;
}

export function describeFrame(frame: MuxFrame): FrameDescription {
  const { meta, data } = frame;
  return {
    sessionId: meta.sessionId,
    status: meta.status,
    option: meta.option,
    ...(meta.status === 1
      ? {
          target: {
            network: meta.target.network,
            addressType: meta.target.address.type,
            host: meta.target.address.host,
            port: meta.target.port,
          },
        }
      : {}),
    ...(data === undefined ? {} : { dataHex: data.toString('hex') }),
  };
}

export function loadCaptures(): CaptureFile {
  return JSON.parse(readFileSync(new URL('./v2ray-4.34-captures.json', import.meta.url), 'utf8')) as CaptureFile;
}
