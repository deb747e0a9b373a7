/** Proves the import graph in eslint.config.js bites: each forbidden import is reported. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function restrictedImportsIn(filePath: string, code: string): Promise<number> {
  const [result] = await eslint.lintText(code, { filePath });
  return result?.messages.filter((message) => message.ruleId === 'no-restricted-imports').length ?? -1;
}

describe('layering rules', () => {
  it.each([
    ['src-core/engine.ts', "import 'electron';"],
    ['src-core/engine.ts', "import 'react';"],
    ['src-core/engine.ts', "import '../src-main/main.js';"],
    ['src-core/engine.ts', "import '../src-renderer/App.js';"],
    ['src-core/api/contract.ts', "import 'node:fs';"],
    ['src-core/api/contract.ts', "import 'net';"],
    ['src-core/api/contract.ts', "import '../config/index.js';"],
    ['src-renderer/page.ts', "import 'node:path';"],
    ['src-renderer/page.ts', "import 'electron';"],
    ['src-renderer/page.ts', "import '../src-core/config/index.js';"],
    ['src-renderer/page.ts', "import '../src-main/main.js';"],
    ['bin/tool.js', "import 'electron';"],
  ])('%s may not %s', async (filePath, code) => {
    expect(await restrictedImportsIn(filePath, code)).toBe(1);
  });

  it.each([
    ['src-core/engine.ts', "import 'node:net';"],
    ['src-renderer/page.ts', "import '../src-core/api/contract.js';"],
    ['src-main/main.ts', "import 'electron';"],
  ])('%s may %s', async (filePath, code) => {
    expect(await restrictedImportsIn(filePath, code)).toBe(0);
  });
});
