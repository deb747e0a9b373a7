import type { PortholeConfig } from '../config/index.js';
import type { CliOutput } from './main.js';

export interface RunOptions {
  configFiles: string[];
  output: CliOutput;
}

/** Starts the engine and resolves with the exit code once it stops. */
export async function runEngine(_config: PortholeConfig, options: RunOptions): Promise<number> {
  options.output.err(`porthole: configuration OK (${options.configFiles.join(', ')}), but this build has no engine yet; stopping.`);
  return 1;
}
