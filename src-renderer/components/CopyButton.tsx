/** Copies a text (a public address, a command, a config) and says so for a moment. */
import { useEffect, useState } from 'react';
import { CheckIcon, CopyIcon } from './Icons.js';

const CONFIRM_MS = 1500;

/** The clipboard API where the page may use it; else the old select-and-copy way (plain-http origins). */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // Denied (no permission, not focused): fall back below.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'sr-only';
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  return copied;
}

export function CopyButton({ text, label = 'Copy', what, small = true }: { text: string; label?: string; what: string; small?: boolean }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), CONFIRM_MS);
    return () => clearTimeout(timer);
  }, [state]);
  return (
    <button
      type="button"
      className={`button${small ? ' small' : ''} copy-button`}
      aria-label={`${label} ${what}`}
      title={`${label} ${what}`}
      data-copied={state === 'copied' ? 'true' : undefined}
      onClick={() => void copyText(text).then((ok) => setState(ok ? 'copied' : 'failed'))}
    >
      {state === 'copied' ? <CheckIcon /> : <CopyIcon />}
      <span aria-live="polite">{state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : label}</span>
    </button>
  );
}
