/**
 * Runs a setup's steps in order and keeps the run object the UI sees: each state change goes to
 * `emit` (which copies it), a step that throws `StepFailed` fails the run with its one-line
 * reason, and a step that answers 'waiting' pauses the run until `resume`. Between steps it
 * honours a cancel. It knows nothing about SSH: steps are functions by id.
 */
import type { RemoteSetup, RemoteSetupStep, RemoteSetupStepId } from '../api/index.js';

export const STEP_TITLES: Record<RemoteSetupStepId, string> = {
  connect: 'Log in over SSH',
  'host-key': 'Check the server\'s host key',
  'check-system': 'Check the system',
  upload: 'Upload the portal',
  'write-config': 'Write the portal config',
  'install-service': 'Install the service',
  firewall: 'Open the firewall',
  start: 'Start the portal',
  'activate-bridge': 'Activate the bridge here',
  'stop-service': 'Stop the service',
  'remove-files': 'Remove the files',
};

export const INSTALL_STEPS: RemoteSetupStepId[] = ['connect', 'host-key', 'check-system', 'upload', 'write-config', 'install-service', 'firewall', 'start', 'activate-bridge'];
export const REMOVE_STEPS: RemoteSetupStepId[] = ['connect', 'host-key', 'stop-service', 'firewall', 'remove-files'];

/** A step that cannot go on: `reason` is the one line shown, with what to do. */
export class StepFailed extends Error {
  constructor(readonly reason: string, readonly manual?: string[]) {
    super(reason);
    this.name = 'StepFailed';
  }
}

export interface StepOutcome {
  state?: 'done' | 'skipped';
  detail?: string;
  manual?: string[];
}

/** 'waiting': the step set its own state and the run waits for the user. */
export type StepResult = StepOutcome | 'waiting';

/** What a long step says while it runs (the upload's progress); shown as the running step's detail. */
export type StepReport = (detail: string) => void;

export type StepFunction = (step: RemoteSetupStep, report: StepReport) => Promise<StepResult>;

/** Progress lines go out at most this often: the UI needs a moving figure, not every chunk. */
const REPORT_EVERY_MS = 500;

export class StepRunner {
  private cancelRequested = false;
  private driving: Promise<void> | undefined;

  constructor(
    readonly run: RemoteSetup,
    private readonly steps: Partial<Record<RemoteSetupStepId, StepFunction>>,
    private readonly emit: () => void,
    private readonly onEnd: (run: RemoteSetup) => void,
  ) {}

  static newRun(id: string, kind: RemoteSetup['kind'], target: RemoteSetup['target'], ids: RemoteSetupStepId[]): RemoteSetup {
    const title = (stepId: RemoteSetupStepId) => (kind === 'remove' && stepId === 'firewall' ? 'Remove the firewall rules' : STEP_TITLES[stepId]);
    return { id, kind, target, state: 'running', steps: ids.map((stepId) => ({ id: stepId, title: title(stepId), state: 'pending' })), startedAt: Date.now(), revision: 0 };
  }

  step(id: RemoteSetupStepId): RemoteSetupStep {
    const step = this.run.steps.find((candidate) => candidate.id === id);
    if (!step) throw new Error(`run ${this.run.id} has no step ${id}`);
    return step;
  }

  get active(): boolean {
    return this.run.state === 'running' || this.run.state === 'waiting';
  }

  /** Runs from step `from` (an id); resolves when the run stops (done, failed, waiting or cancelled). */
  resume(from: RemoteSetupStepId): Promise<void> {
    this.cancelRequested = false;
    this.driving = this.drive(this.run.steps.findIndex((step) => step.id === from));
    return this.driving;
  }

  /** Stops between steps (at once when nothing runs). */
  cancel(): void {
    if (this.run.state === 'running') {
      this.cancelRequested = true;
      return;
    }
    this.finish('cancelled');
  }

  /** Resolves when the steps running now stop. */
  async settled(): Promise<void> {
    await this.driving;
  }

  /** Every change counts: a copy of the run with a lower revision is older and must not win. */
  private changed(): void {
    this.run.revision += 1;
    this.emit();
  }

  private finish(state: 'done' | 'failed' | 'cancelled'): void {
    this.run.state = state;
    this.run.endedAt = Date.now();
    this.changed();
    this.onEnd(this.run);
  }

  private async drive(from: number): Promise<void> {
    this.run.state = 'running';
    delete this.run.endedAt;
    this.changed();
    for (let index = Math.max(0, from); index < this.run.steps.length; index += 1) {
      const step = this.run.steps[index];
      if (!step) break;
      if (this.cancelRequested) return this.finish('cancelled');
      // A step finished as a side effect of an earlier one (the host key, checked while logging in).
      if (step.state === 'done' && index > from) continue;
      const execute = this.steps[step.id];
      if (!execute) continue;
      step.state = 'running';
      delete step.detail;
      delete step.reason;
      delete step.manual;
      this.changed();
      let result: StepResult;
      let reported = 0;
      const report: StepReport = (detail) => {
        const now = Date.now();
        if (step.state !== 'running' || now - reported < REPORT_EVERY_MS) return;
        reported = now;
        step.detail = detail;
        this.changed();
      };
      try {
        result = await execute(step, report);
      } catch (error) {
        step.state = 'failed';
        // SshError's lines are written for the user (timeouts, a lost connection); anything else is a bug's.
        step.reason = error instanceof StepFailed ? error.reason : (error as Error).name === 'SshError' ? (error as Error).message : `unexpected: ${(error as Error).message}`;
        if (error instanceof StepFailed && error.manual) step.manual = error.manual;
        return this.finish('failed');
      }
      if (result === 'waiting') {
        this.run.state = 'waiting';
        this.changed();
        return;
      }
      step.state = result.state ?? 'done';
      if (result.detail !== undefined) step.detail = result.detail;
      if (result.manual) step.manual = result.manual;
      this.changed();
    }
    if (this.cancelRequested) return this.finish('cancelled');
    this.finish('done');
  }
}
