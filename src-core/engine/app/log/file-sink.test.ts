import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openFileSink } from './file-sink.js';

const DIR = mkdtempSync(join(tmpdir(), 'porthole-file-sink-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

describe('openFileSink', () => {
  it('appends lines, creating the file', async () => {
    const path = join(DIR, 'a.log');
    const sink = openFileSink(path, () => {});
    sink.write('one');
    sink.write('two');
    await sink.close();
    const again = openFileSink(path, () => {});
    again.write('three');
    await again.close();
    expect(readFileSync(path, 'utf8')).toBe('one\ntwo\nthree\n');
  });

  it('throws where it is opened when the path cannot be opened (no late \'error\' event)', () => {
    const errors: Error[] = [];
    expect(() => openFileSink(join(DIR, 'missing', 'a.log'), (error) => errors.push(error))).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(() => openFileSink(DIR, (error) => errors.push(error))).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(errors).toEqual([]);
  });

  it.skipIf(!existsSync('/dev/full'))('reports a failing write once, then drops lines, and still closes', async () => {
    const errors: Error[] = [];
    const sink = openFileSink('/dev/full', (error) => errors.push(error));
    sink.write('first');
    await new Promise((resolve) => setTimeout(resolve, 50));
    sink.write('second');
    sink.write('third');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await sink.close();
    expect(errors.map((error) => (error as NodeJS.ErrnoException).code)).toEqual(['ENOSPC']);
  });
});
