/**
 * The one `EngineService` the store's actions use. Set once at start-up (main.tsx) or by a test;
 * components never reach it: they call actions.
 */
import type { EngineService } from '../../src-core/host/api/index.js';

let current: EngineService | undefined;

export function setEngineService(service: EngineService | undefined): void {
  current = service;
}

export function engineService(): EngineService {
  if (!current) throw new Error('no EngineService: call setEngineService first');
  return current;
}
