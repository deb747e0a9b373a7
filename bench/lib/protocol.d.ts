/** Types of the bench's wire helpers (protocol.js), for the tests that share them. */
import type { Socket } from 'node:net';

export const DOWNLOAD: number;
export const UPLOAD: number;
export const REQUEST: number;
export const IDLE: number;
export const IDLE_ACK: number;
export const REQUEST_SIZE: number;
export const RESPONSE_SIZE: number;
export const BLOCK: Buffer;
export function sizedHeader(kind: number, size: number): Buffer;
export function writeBulk(socket: Socket, size: number): Promise<void>;
