/**
 * SIGHUP for `porthole run`, listened to from the first moment: SIGHUP's default action ends the
 * process, so one sent while the engine is still starting (its port may already answer) would kill
 * it. Such a signal is held and answered once the engine runs; one sent while stopping is ignored.
 */
export interface ReloadSignal {
  /** From now on each SIGHUP calls `onReload`; a SIGHUP held during start is answered now. */
  answerWith(onReload: () => void): void;
  /** Stopping: later SIGHUPs are ignored. */
  ignore(): void;
  /** Stops listening (the process's default returns). */
  release(): void;
}

export function listenForReload(target: NodeJS.EventEmitter = process): ReloadSignal {
  let answer: (() => void) | undefined;
  let held = false;
  let ignoring = false;
  const onSignal = () => {
    if (ignoring) return;
    if (answer) answer();
    else held = true;
  };
  target.on('SIGHUP', onSignal);
  return {
    answerWith(onReload) {
      answer = onReload;
      if (held && !ignoring) {
        held = false;
        onReload();
      }
    },
    ignore() {
      ignoring = true;
    },
    release() {
      target.off('SIGHUP', onSignal);
    },
  };
}
