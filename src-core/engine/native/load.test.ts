import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, test } from 'vitest';
import { nativeAead, selfTestNativeAead, type NativeAead } from './aead.js';
import { loadAddon, withUnpacked } from './load.js';

const built = fileURLToPath(new URL('./build/Release/porthole_aead.node', import.meta.url));
const builtSelfContained = fileURLToPath(new URL('./build/Release/porthole_aead_static.node', import.meta.url));
const VARIABLE = 'PORTHOLE_TEST_ADDON';

afterEach(() => {
  delete process.env[VARIABLE];
});

describe('loadAddon: optional, and says why it is not in use', () => {
  test('turned off by its variable', () => {
    process.env[VARIABLE] = '0';
    expect(loadAddon('x', { disabledBy: VARIABLE, needsOpenSsl: false, candidates: [built] })).toEqual({ reason: `turned off by ${VARIABLE}=0` });
  });

  test('not built', () => {
    expect(loadAddon('x', { disabledBy: VARIABLE, needsOpenSsl: false, candidates: ['/nonexistent/x.node'] })).toEqual({ reason: 'not built (npm run build:native)' });
  });

  test('a file that does not load is a reason, not a throw', () => {
    const folder = mkdtempSync(join(tmpdir(), 'porthole-addon-'));
    const file = join(folder, 'broken.node');
    writeFileSync(file, 'not a shared object');
    const loaded = loadAddon('x', { disabledBy: VARIABLE, needsOpenSsl: false, candidates: [file] });
    rmSync(folder, { recursive: true });
    expect(loaded.addon).toBeUndefined();
    expect(loaded.reason).toMatch(new RegExp(`^cannot load ${file}: `));
  });

  test.runIf(nativeAead !== undefined)('the AEAD addon binds every symbol at load (RTLD_NOW) and passes its self-test', () => {
    const loaded = loadAddon<NativeAead>('porthole_aead', { disabledBy: VARIABLE, needsOpenSsl: true, selfTest: selfTestNativeAead, candidates: [built] });
    expect(loaded.reason).toBe(`loaded from ${built}`);
    expect(typeof loaded.addon?.openRun).toBe('function');
  });

  test.runIf(nativeAead !== undefined)('an addon that fails its self-test is not used', () => {
    const loaded = loadAddon<NativeAead>('porthole_aead', {
      disabledBy: VARIABLE,
      needsOpenSsl: true,
      // One flipped bit in what it seals (napi properties are not enumerable, so no spread).
      selfTest: (addon) => selfTestNativeAead({
        selfContained: addon.selfContained,
        create: (...args) => addon.create(...args),
        seal: (context, nonce, plain, out, offset) => {
          addon.seal(context, nonce, plain, out, offset);
          out[offset]! ^= 1;
        },
        sealPieces: (...args) => addon.sealPieces(...args),
        open: (...args) => addon.open(...args),
        openRun: (...args) => addon.openRun(...args),
      }),
      candidates: [built],
    });
    expect(loaded.addon).toBeUndefined();
    expect(loaded.reason).toMatch(/failed its self-test: algorithm 0 sealed 025bc7/);
  });
});

describe('the self-contained AEAD addon (what Electron loads)', () => {
  // CI requires it (PORTHOLE_REQUIRE_NATIVE=1 with libssl-dev installed); elsewhere it may be absent.
  test.runIf(existsSync(builtSelfContained))('needs no OpenSSL symbol from the host and exports only its Node-API entry', () => {
    const undefinedSymbols = spawnSync('nm', ['-D', '--undefined-only', builtSelfContained], { encoding: 'utf8' });
    expect(undefinedSymbols.status).toBe(0);
    expect(undefinedSymbols.stdout).not.toMatch(/\b(EVP|OPENSSL|CRYPTO|ERR)_\w+/);
    const exported = spawnSync('nm', ['-D', '--defined-only', builtSelfContained], { encoding: 'utf8' });
    expect(exported.stdout).not.toMatch(/\b(EVP|OPENSSL|CRYPTO)_\w+/);
  });

  test.runIf(existsSync(builtSelfContained))('loads, says it is self-contained, passes its self-test, and is the one in use', () => {
    const loaded = loadAddon<NativeAead>('porthole_aead_static', { disabledBy: VARIABLE, needsOpenSsl: false, inElectron: true, selfTest: selfTestNativeAead, candidates: [builtSelfContained] });
    expect(loaded.reason).toBe(`loaded from ${builtSelfContained}`);
    expect(loaded.addon?.selfContained).toBe(true);
    expect(nativeAead?.selfContained).toBe(true);
  });

  test.runIf(existsSync(built))('the host-linked build says it is not', () => {
    const loaded = loadAddon<NativeAead>('porthole_aead', { disabledBy: VARIABLE, needsOpenSsl: true, selfTest: selfTestNativeAead, candidates: [built] });
    expect(loaded.addon?.selfContained).toBe(false);
  });
});

test('in the packaged app, looks beside app.asar first (dlopen cannot read inside it)', () => {
  expect(withUnpacked(['/opt/Porthole/resources/app.asar/src-core/engine/native/build/Release/x.node', '/src/x.node'])).toEqual([
    '/opt/Porthole/resources/app.asar.unpacked/src-core/engine/native/build/Release/x.node',
    '/opt/Porthole/resources/app.asar/src-core/engine/native/build/Release/x.node',
    '/src/x.node',
  ]);
});
