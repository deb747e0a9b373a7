/** A stand-in EngineService for the store's tests: records calls, answers what it is told. */
import type { EngineService, EngineSnapshot, LogLine } from '../../src-core/host/api/index.js';

/** Each method answers what `answers` says: a value, an Error to throw, or a function of the arguments. */
export function fakeService(answers: Partial<Record<keyof EngineService, unknown>> = {}) {
  const calls: [string, unknown[]][] = [];
  const listeners = { snapshot: new Set<(value: EngineSnapshot) => void>(), logs: new Set<(value: LogLine[]) => void>() };
  const service = new Proxy({} as EngineService, {
    get(_target, property: string) {
      if (property === 'onDidChangeSnapshot') return (listener: (value: EngineSnapshot) => void) => { listeners.snapshot.add(listener); return () => listeners.snapshot.delete(listener); };
      if (property === 'onDidLog') return (listener: (value: LogLine[]) => void) => { listeners.logs.add(listener); return () => listeners.logs.delete(listener); };
      return async (...args: unknown[]) => {
        calls.push([property, args]);
        const answer = answers[property as keyof EngineService];
        if (answer instanceof Error) throw answer;
        return typeof answer === 'function' ? (answer as (...values: unknown[]) => unknown)(...args) : answer;
      };
    },
  });
  return { service, calls, listeners };
}
