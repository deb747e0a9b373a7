/** Options for a LocalEngineService in tests: its files in `folder`, logs silent, sampling fast. */
import { join } from 'node:path';
import type { LocalEngineServiceOptions } from '../../src-core/host/service/local-engine-service.js';

const quiet = { write: () => {} };

export function quietServiceOptions(folder: string): LocalEngineServiceOptions {
  return {
    profilesFolder: join(folder, 'profiles'),
    settingsFile: join(folder, 'settings.json'),
    logSinks: { error: quiet, access: quiet },
    sampleIntervalMs: 100,
    logFlushMs: 20,
  };
}
