/**
 * The fuzz targets: every decoder that reads bytes from the network, fed random and mutated
 * input (fast-check arbitraries with bounded sizes, so no run can take long or allocate much).
 *
 * The property every target checks: the decoder either succeeds or reports (returns or throws,
 * as its contract says) a `PortholeError` whose code starts with `PH_` and is one its contract
 * allows. Anything else — a TypeError, a RangeError, a BugError, another code, a hang, an out of
 * memory — is a failure. Most targets check more where an oracle exists: untouched valid input
 * must decode to what was encoded, a split stream must decode like the whole one, decoded
 * values must re-encode to themselves, and authenticated streams must never yield altered data.
 *
 *   vmess-handshake-random        ServerHandshake.push, random bytes (alone, after a valid AuthID, after a legacy user hash)
 *   vmess-handshake-mutated       ServerHandshake.push, createClientRequest output (AEAD and legacy) + body, mutated
 *   vmess-body-random             createBodyDecoder / push, any options, random bytes
 *   vmess-body-<security>         push on mutated encoder output: aes-128-gcm, chacha20-poly1305, none, legacy
 *   vmess-response-random         ClientResponseParser.push, random bytes, then the body decoder it hands over
 *   vmess-response-mutated        ClientResponseParser.push on mutated ServerSession.createResponse output
 *   vmess-codec-request-header    decodeRequestHeader on structured plaintexts
 *   vmess-codec-response-header   decodeResponseHeader on random plaintexts
 *   mux-reader-random             FrameReader.push, random bytes
 *   mux-reader-mutated            FrameReader.push on mutated writer output
 *   reverse-control-random        decodeControl, random bytes, against a protobuf-go reference
 *   reverse-control-structured    decodeControl on protobuf-shaped input, against the reference
 *   mux-flow-message              decodeFlowMessage, random and mutated
 *   reverse-exposure-random       decodeBridgeExposureMessage / decodeExposureReply, random bytes, re-encode check
 *   reverse-exposure-mutated      the same on mutated encoder output; untouched input round-trips
 *   websocket-reader-random       websocket FrameReader.push (client and server roles), random bytes and random-field frames, against a reference parser
 *   websocket-reader-mutated      websocket FrameReader.push on mutated encodeFrame output (fragments, control frames between them); untouched input round-trips
 *
 * `fuzz.test.ts` runs each target briefly under `npm test`; `npm run fuzz` (campaign.ts) runs a
 * long campaign.
 */
import { exposureTargets } from './exposure.js';
import { muxTargets } from './mux.js';
import type { FuzzTarget } from './target.js';
import { vmessTargets } from './vmess.js';
import { websocketTargets } from './websocket.js';

export type { FuzzTarget } from './target.js';

export const targets: readonly FuzzTarget<unknown>[] = [...vmessTargets, ...muxTargets, ...exposureTargets, ...websocketTargets];

export function findTarget(name: string): FuzzTarget<unknown> | undefined {
  return targets.find((target) => target.name === name);
}
