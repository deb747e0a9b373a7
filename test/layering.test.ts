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
    ['src-core/engine/instance.ts', "import 'electron';"],
    ['src-core/engine/instance.ts', "import 'react';"],
    ['src-core/engine/instance.ts', "import '../../src-main/main.js';"],
    ['src-core/host/cli/run.ts', "import '../../../src-renderer/App.js';"],
    ['src-core/engine/instance.ts', "import '../host/service/local-engine-service.js';"],
    ['src-core/engine/app/reverse/portal.ts', "import '../../../host/api/index.js';"],
    ['src-core/engine/instance.ts', "import '../tooling/fuzz/targets.js';"],
    ['src-core/host/cli/run.ts', "import '../../tooling/fuzz/targets.js';"],
    ['src-core/engine/common/mux/session.ts', "import './testdata/vectors.js';"],
    ['src-core/host/service/snapshot.ts', "import '../../engine/proxy/vmess/crypto-fallback.suite.js';"],
    ['src-core/host/api/contract.ts', "import 'node:fs';"],
    ['src-core/host/api/contract.ts', "import 'net';"],
    ['src-core/host/api/contract.ts', "import '../../engine/config/index.js';"],
    ['src-renderer/page.ts', "import 'node:path';"],
    ['src-renderer/page.ts', "import 'electron';"],
    ['src-renderer/page.ts', "import '../src-core/engine/config/index.js';"],
    ['src-renderer/page.ts', "import '../src-main/main.js';"],
    ['bin/tool.js', "import 'electron';"],
  ])('%s may not %s', async (filePath, code) => {
    expect(await restrictedImportsIn(filePath, code)).toBe(1);
  });

  it.each([
    ['src-core/engine/instance.ts', "import 'node:net';"],
    ['src-core/host/cli/run.ts', "import '../../engine/instance.js';"],
    ['src-core/engine/common/mux/session.test.ts', "import './testdata/vectors.js';"],
    ['src-core/tooling/fuzz/mux.ts', "import '../../engine/common/mux/testdata/vectors.js';"],
    ['src-renderer/page.ts', "import '../src-core/host/api/contract.js';"],
    ['src-main/main.ts', "import 'electron';"],
  ])('%s may %s', async (filePath, code) => {
    expect(await restrictedImportsIn(filePath, code)).toBe(0);
  });
});
