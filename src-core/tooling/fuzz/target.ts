/** The shape of a fuzz target (see targets.ts for the table). */
import type fc from 'fast-check';

export interface FuzzTarget<T> {
  /** Stable name, used on the command line (`FUZZ_TARGETS`) and in reports. */
  readonly name: string;
  /** One line: the decoder, the inputs, and the checks beyond "no unexpected throw". */
  readonly summary: string;
  /** Share of the campaign's inputs, relative to the other targets. */
  readonly weight: number;
  /** Inputs per target in the unit-test run (`fuzz.test.ts`). */
  readonly testRuns: number;
  /** Bounded inputs: every run stays small and fast. */
  readonly arbitrary: fc.Arbitrary<T>;
  /**
   * Runs one input. Returns a short outcome label (for the campaign's coverage counts); throws
   * when the decoder broke its contract (a FuzzViolation, or whatever escaped the decoder).
   */
  run(input: T): string;
}

/** Type-checks a target against its own input type, then erases it for the table. */
export function defineTarget<T>(target: FuzzTarget<T>): FuzzTarget<unknown> {
  return target as FuzzTarget<unknown>;
}
