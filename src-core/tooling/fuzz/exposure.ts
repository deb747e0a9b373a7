/**
 * Fuzz targets for the exposure extension's messages (app/exposures/exposure-wire.ts): what a bridge
 * writes on the control session and what a portal answers. Both come from the network, so both
 * must either decode or report PH_MUX_BAD_FRAME, and valid messages must survive mutation checks.
 */
import fc from 'fast-check';
import type { ErrorCode } from '../../engine/common/errors.js';
import {
  decodeBridgeExposureMessage, decodeExposureReply, encodeBridgeExposureMessage, encodeExposureReply,
  type BridgeExposureMessage, type ExposureReply,
} from '../../engine/app/exposures/exposure-wire.js';
import { applyMutations, checkEqual, guard, mutationsArbitrary, noThrow, randomBytesArbitrary, type Mutation } from './bytes.js';
import { defineTarget, type FuzzTarget } from './target.js';

const BAD_FRAME: readonly ErrorCode[] = ['PH_MUX_BAD_FRAME'];

const text = fc.string({ minLength: 1, maxLength: 30 }).filter((value) => [...value].every((char) => char >= ' ' && char !== '\u007f' && char !== '\uFFFD'));
const port = fc.integer({ min: 1, max: 65535 });
const messages: fc.Arbitrary<BridgeExposureMessage> = fc.record({
  expose: fc.array(fc.record({ id: text, localHost: text, localPort: port, publicPort: fc.oneof(fc.constant(0), port), name: fc.oneof(fc.constant(''), text) }), { maxLength: 4 }),
  unexpose: fc.array(text, { maxLength: 4 }),
});
const replies: fc.Arbitrary<ExposureReply> = fc.oneof(
  fc.record({ id: text, publicPort: port }),
  fc.record({ id: text, publicPort: fc.constant(0), errorCode: fc.constantFrom('PH_EXPOSE_PORT_TAKEN', 'PH_EXPOSE_OUT_OF_RANGE'), error: text }),
);

/** Decodes both ways; a decoded message must re-encode to something that decodes the same. */
function checkBoth(bytes: Buffer): string {
  const message = guard('decodeBridgeExposureMessage', BAD_FRAME, () => decodeBridgeExposureMessage(bytes));
  if (message.ok) {
    const again = noThrow('decode of a re-encoded exposure message', () => decodeBridgeExposureMessage(encodeBridgeExposureMessage(message.value)));
    checkEqual(again, message.value, 'decoded → encoded → decoded exposure message');
  }
  const reply = guard('decodeExposureReply', BAD_FRAME, () => decodeExposureReply(bytes));
  if (reply.ok) {
    const again = noThrow('decode of a re-encoded exposure reply', () => decodeExposureReply(encodeExposureReply(reply.value)));
    checkEqual(again, reply.value, 'decoded → encoded → decoded exposure reply');
  }
  return `${message.ok ? 'message' : 'refused'}/${reply.ok ? 'reply' : 'refused'}`;
}

const exposureRandom = defineTarget<Buffer>({
  name: 'reverse-exposure-random',
  summary: 'decodeBridgeExposureMessage and decodeExposureReply on random bytes: PH_MUX_BAD_FRAME only, decoded messages re-encode',
  weight: 1,
  testRuns: 600,
  arbitrary: randomBytesArbitrary(160),
  run: checkBoth,
});

const exposureMutated = defineTarget<{ message: BridgeExposureMessage; reply: ExposureReply; mutations: readonly Mutation[] }>({
  name: 'reverse-exposure-mutated',
  summary: 'exposure messages and replies from the encoders, mutated: PH_MUX_BAD_FRAME only; untouched ones decode to what was encoded',
  weight: 1,
  testRuns: 600,
  arbitrary: fc.record({ message: messages, reply: replies, mutations: mutationsArbitrary() }),
  run: ({ message, reply, mutations }) => {
    if (mutations.length === 0) {
      checkEqual(decodeBridgeExposureMessage(encodeBridgeExposureMessage(message)), message, 'exposure message round trip');
      checkEqual(decodeExposureReply(encodeExposureReply(reply)), reply, 'exposure reply round trip');
      return 'round-trip';
    }
    checkBoth(applyMutations(encodeBridgeExposureMessage(message), mutations));
    return checkBoth(applyMutations(encodeExposureReply(reply), mutations));
  },
});

export const exposureTargets: readonly FuzzTarget<unknown>[] = [exposureRandom, exposureMutated];
