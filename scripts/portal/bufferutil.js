/**
 * Stands in for the `bufferutil` package in the one-file portal: its prebuilt addon is carried as
 * a SEA asset (node-gyp-build cannot find it inside the executable). The WebSocket framing and ws
 * require `bufferutil` in a try block, so a throw here means frames are masked in JavaScript instead.
 */
import { unpackAddon } from './addons.js';

const module = { exports: /** @type {{ mask: Function, unmask: Function }} */ ({}) };
process.dlopen(module, unpackAddon('bufferutil'));

export const { mask, unmask } = module.exports;
