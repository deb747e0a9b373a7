/**
 * An in-app question before something that loses work or cuts people off (issue 4/7): a modal
 * `<dialog>` (focus stays inside, the page behind is inert) with a title, a sentence and a few
 * choices. Focus starts on the choice that loses nothing, so a second Enter never confirms;
 * Escape answers with the cancel choice. `useConfirm` turns it into `await ask({...})`.
 */
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';

/** One button of the question. */
export interface ConfirmChoice<T extends string> {
  id: T;
  label: string;
  tone?: 'primary' | 'danger';
}

/** What to ask. */
export interface ConfirmRequest<T extends string> {
  title: string;
  body: ReactNode;
  /** In the order shown. */
  choices: ConfirmChoice<T>[];
  /** The choice focused first: one that loses nothing. */
  initial: T;
  /** What Escape (or closing the dialog another way) answers. */
  cancel: T;
  /** For tests and styles: what is being confirmed (`stop-engine`, `unsaved-profile`, …). */
  kind: string;
}

export function ConfirmDialog<T extends string>({ request, onAnswer }: { request: ConfirmRequest<T>; onAnswer(choice: T): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const initial = useRef<HTMLButtonElement>(null);
  const chosen = useRef<T | null>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const element = dialog.current;
    if (!element || element.open) return;
    element.showModal();
    initial.current?.focus();
  }, []);

  const choose = (choice: T) => {
    chosen.current = choice;
    // Closing (not unmounting) lets the browser put focus back where it was.
    dialog.current?.close();
  };

  return (
    <dialog
      ref={dialog}
      className="confirm-dialog"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      data-testid="confirm-dialog"
      data-kind={request.kind}
      onClose={() => onAnswer(chosen.current ?? request.cancel)}
    >
      <h2 id={titleId}>{request.title}</h2>
      <div id={bodyId} className="confirm-body">{request.body}</div>
      <div className="confirm-actions">
        {request.choices.map((choice) => (
          <button
            key={choice.id}
            type="button"
            ref={choice.id === request.initial ? initial : undefined}
            className={`button${choice.tone ? ` ${choice.tone}` : ''}`}
            onClick={() => choose(choice.id)}
          >
            {choice.label}
          </button>
        ))}
      </div>
    </dialog>
  );
}

/**
 * `const [ask, dialog] = useConfirm()`: render `dialog`, and `await ask(request)` resolves with
 * the choice. One question at a time; asking again while one is open answers the first with its
 * cancel choice.
 */
export function useConfirm(): [<T extends string>(request: ConfirmRequest<T>) => Promise<T>, ReactNode] {
  const [pending, setPending] = useState<{ request: ConfirmRequest<string>; resolve(choice: string): void } | null>(null);
  const current = useRef(pending);
  current.current = pending;

  const ask = useCallback(<T extends string>(request: ConfirmRequest<T>) => new Promise<T>((resolve) => {
    current.current?.resolve(current.current.request.cancel);
    setPending({ request, resolve: resolve as (choice: string) => void });
  }), []);

  const element = pending ? (
    <ConfirmDialog
      key={pending.request.kind + pending.request.title}
      request={pending.request}
      onAnswer={(choice) => {
        pending.resolve(choice);
        setPending(null);
      }}
    />
  ) : null;
  return [ask, element];
}
