import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allTrayIconFiles, trayIconFile } from './tray-icons.js';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(file: string): [number, number] {
  const bytes = readFileSync(new URL(`../assets/${file}`, import.meta.url));
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('tray icons', () => {
  it('names a file per state and panel', () => {
    expect(trayIconFile('error', 'dark')).toBe('tray-error-dark.png');
  });

  it('every icon the tray can ask for is in assets/, at 16 px and 32 px (@2x)', () => {
    const files = allTrayIconFiles();
    expect(files).toHaveLength(12);
    for (const file of files) expect(pngSize(file)).toEqual(file.includes('@2x') ? [32, 32] : [16, 16]);
  });

  it('the app icon electron-builder derives the others from is 512 px', () => {
    expect(pngSize('icon.png')).toEqual([512, 512]);
  });
});
