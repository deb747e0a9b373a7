import { createCipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ChaCha20Poly1305, Poly1305, chacha20Xor } from './chacha20-poly1305.js';

const hex = (text: string): Buffer => Buffer.from(text, 'hex');

function poly1305(key: Buffer, message: Buffer): string {
  const tag = Buffer.alloc(16);
  new Poly1305().reset(key).update(message).finish(tag);
  return tag.toString('hex');
}

/** OpenSSL's chacha20-poly1305 through node:crypto (the reference on plain Node). */
function nodeSeal(key: Buffer, nonce: Buffer, plain: Buffer, aad?: Buffer): Buffer {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  if (aad) cipher.setAAD(aad, { plaintextLength: plain.length });
  return Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function jsSeal(key: Buffer, nonce: Buffer, plain: Buffer, aad?: Buffer): Buffer {
  const out = Buffer.alloc(plain.length + 16);
  expect(new ChaCha20Poly1305(key).seal(nonce, plain, out, 0, aad)).toBe(out.length);
  return out;
}

const SUNSCREEN = Buffer.from("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");

describe('Poly1305: RFC 8439 §2.5.2 and Appendix A.3 vectors', () => {
  test.each([
    ['§2.5.2', '85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', Buffer.from('Cryptographic Forum Research Group').toString('hex'), 'a8061dc1305136c6c22b8baf0c0127a9'],
    ['A.3 #1', '00'.repeat(32), '00'.repeat(64), '00'.repeat(16)],
    [
      'A.3 #4 (127 bytes: a short last block)',
      '1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0',
      '2754776173206272696c6c69672c20616e642074686520736c6974687920746f7665730a446964206779726520616e642067696d626c6520696e2074686520776162653a0a416c6c206d696d737920776572652074686520626f726f676f7665732c0a416e6420746865206d6f6d65207261746873206f757467726162652e',
      '4541669a7eaaee61e708dc7cbcc5eb62',
    ],
    // The edge cases: h just above, at and below p = 2^130 - 5, and carries through every limb.
    ['A.3 #5', '02' + '00'.repeat(31), 'ff'.repeat(16), '03' + '00'.repeat(15)],
    ['A.3 #6', '02' + '00'.repeat(15) + 'ff'.repeat(16), '02' + '00'.repeat(15), '03' + '00'.repeat(15)],
    ['A.3 #7', '01' + '00'.repeat(31), 'ff'.repeat(16) + 'f0' + 'ff'.repeat(15) + '11' + '00'.repeat(15), '05' + '00'.repeat(15)],
    ['A.3 #8', '01' + '00'.repeat(31), 'ff'.repeat(16) + 'fb' + 'fe'.repeat(15) + '01'.repeat(16), '00'.repeat(16)],
    ['A.3 #9', '02' + '00'.repeat(31), 'fd' + 'ff'.repeat(15), 'fa' + 'ff'.repeat(15)],
    [
      'A.3 #10',
      '0100000000000000040000000000000000000000000000000000000000000000',
      'e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000',
      '14000000000000005500000000000000',
    ],
    [
      'A.3 #11',
      '0100000000000000040000000000000000000000000000000000000000000000',
      'e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000',
      '13000000000000000000000000000000',
    ],
  ])('%s', (_name, key, message, tag) => {
    expect(poly1305(hex(key), hex(message))).toBe(tag);
  });

  test('the message may arrive in any pieces', () => {
    const key = randomBytes(32);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(300), { maxLength: 6 }), (message, cuts) => {
        const whole = poly1305(key, Buffer.from(message));
        const points = [...new Set(cuts.map((cut) => cut % (message.length + 1)))].sort((a, b) => a - b);
        const poly = new Poly1305().reset(key);
        let from = 0;
        for (const point of [...points, message.length]) {
          poly.update(message, from, point);
          from = point;
        }
        const tag = Buffer.alloc(16);
        poly.finish(tag);
        expect(tag.toString('hex')).toBe(whole);
      }),
      { numRuns: 200 },
    );
  });
});

describe('ChaCha20', () => {
  test('RFC 8439 §2.4.2: the sunscreen text from block 1', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = hex('000000000000004a00000000');
    expect(Buffer.from(chacha20Xor(key, 1, nonce, SUNSCREEN)).toString('hex')).toBe(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d',
    );
  });

  test("matches node:crypto's chacha20 (OpenSSL: IV = LE counter ‖ nonce) across block boundaries", () => {
    for (const length of [0, 1, 63, 64, 65, 127, 128, 129, 1000]) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const counter = 7;
      const input = randomBytes(length);
      const iv = Buffer.concat([Buffer.from([counter, 0, 0, 0]), nonce]);
      const expected = createCipheriv('chacha20', key, iv).update(input);
      expect(Buffer.from(chacha20Xor(key, counter, nonce, input)).equals(expected)).toBe(true);
    }
  });
});

describe('ChaCha20Poly1305', () => {
  test('RFC 8439 §2.8.2 (with AAD)', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('070000004041424344454647');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const sealed = jsSeal(key, nonce, SUNSCREEN, aad);
    expect(sealed.toString('hex')).toBe(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    const out = Buffer.alloc(SUNSCREEN.length);
    expect(new ChaCha20Poly1305(key).open(nonce, sealed, out, 0, aad)).toBe(SUNSCREEN.length);
    expect(out.equals(SUNSCREEN)).toBe(true);
  });

  test('seals exactly as OpenSSL does, for every size around the block and chunk boundaries', () => {
    const sizes = [0, 1, 15, 16, 17, 63, 64, 65, 2030 - 16, 2048, 16 * 1024, 65535 - 18];
    for (const size of sizes) {
      const key = randomBytes(32);
      const nonce = randomBytes(12);
      const plain = randomBytes(size);
      expect(jsSeal(key, nonce, plain).equals(nodeSeal(key, nonce, plain)), `size ${size}`).toBe(true);
    }
  });

  test('seals and opens as OpenSSL does for random sizes, AADs and offsets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }), fc.nat(9), (plainBytes, aadBytes, offset) => {
        const key = randomBytes(32);
        const nonce = randomBytes(12);
        const plain = Buffer.from(plainBytes);
        const aad = aadBytes && Buffer.from(aadBytes);
        const cipher = new ChaCha20Poly1305(key);
        const out = Buffer.alloc(offset + plain.length + 16 + 3, 0xee);
        cipher.seal(nonce, plain, out, offset, aad);
        const sealed = out.subarray(offset, offset + plain.length + 16);
        expect(sealed.equals(nodeSeal(key, nonce, plain, aad))).toBe(true);
        expect([...out.subarray(0, offset), ...out.subarray(offset + sealed.length)].every((byte) => byte === 0xee)).toBe(true);
        const opened = Buffer.alloc(offset + plain.length);
        expect(cipher.open(nonce, Buffer.from(sealed), opened, offset, aad)).toBe(plain.length);
        expect(opened.subarray(offset).equals(plain)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test('one object serves many nonces, as a VMess body direction does', () => {
    const key = randomBytes(32);
    const cipher = new ChaCha20Poly1305(key);
    const nonce = randomBytes(12);
    for (let count = 0; count < 50; count++) {
      nonce.writeUInt16BE(count, 0);
      const plain = randomBytes(count * 37);
      const out = Buffer.alloc(plain.length + 16);
      cipher.seal(nonce, plain, out, 0);
      expect(out.equals(nodeSeal(key, nonce, plain))).toBe(true);
    }
  });

  test('refuses every flipped bit, a wrong nonce and a short input, and writes nothing then', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const plain = randomBytes(40);
    const sealed = nodeSeal(key, nonce, plain);
    const cipher = new ChaCha20Poly1305(key);
    const out = Buffer.alloc(plain.length, 0xee);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      sealed[bit >> 3]! ^= 1 << (bit & 7);
      expect(cipher.open(nonce, sealed, out, 0)).toBe(-1);
      sealed[bit >> 3]! ^= 1 << (bit & 7);
    }
    const otherNonce = Buffer.from(nonce);
    otherNonce[11]! ^= 1;
    expect(cipher.open(otherNonce, sealed, out, 0)).toBe(-1);
    expect(cipher.open(nonce, sealed.subarray(0, 15), out, 0)).toBe(-1);
    expect(out.every((byte) => byte === 0xee)).toBe(true);
    // And opens what OpenSSL sealed.
    expect(cipher.open(nonce, sealed, out, 0)).toBe(plain.length);
    expect(out.equals(plain)).toBe(true);
  });

  test('opens what OpenSSL sealed under an all-ones key and nonce (carries through every limb)', () => {
    const key = Buffer.alloc(32, 0xff);
    const nonce = Buffer.alloc(12, 0xff);
    const plain = Buffer.alloc(1000, 0xff);
    const out = Buffer.alloc(plain.length);
    expect(new ChaCha20Poly1305(key).open(nonce, nodeSeal(key, nonce, plain), out, 0)).toBe(plain.length);
    expect(out.equals(plain)).toBe(true);
  });

  test('refuses keys and nonces of the wrong length', () => {
    expect(() => new ChaCha20Poly1305(Buffer.alloc(16))).toThrow(RangeError);
    expect(() => new ChaCha20Poly1305(Buffer.alloc(32)).seal(Buffer.alloc(8), Buffer.alloc(1), Buffer.alloc(17), 0)).toThrow(RangeError);
  });
});
