/**
 * An exposure's URL (`https://web.tunnel.example.com`, `http://web.localhost:21080`): the address
 * to give out, with Copy (the full URL). Its label is edited in place: click it (or "Rename"),
 * type, Enter saves, Escape cancels; a name the portal refuses (taken) is said right there, and
 * the old name keeps working.
 */
import { useId, useState, type KeyboardEvent } from 'react';
import type { ExposureStatus } from '../../src-core/host/api/index.js';
import { asSentence } from '../format.js';
import { parseLabel, urlParts } from '../state/exposure-names.js';
import { useAppStore } from '../state/store.js';
import { CopyButton } from './CopyButton.js';

export function ExposureUrl({ exposure, url, editable = true }: { exposure: ExposureStatus; url: string; editable?: boolean }) {
  const parts = urlParts(url, exposure.label);
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const errorId = useId();
  const canEdit = editable && parts !== null;

  const cancel = () => {
    setDraft(null);
    setError(null);
  };

  const save = async () => {
    if (draft === null || saving) return;
    const parsed = parseLabel(draft);
    if (!parsed.ok) {
      setError(parsed.message);
      return;
    }
    if (parsed.label === exposure.label) {
      cancel();
      return;
    }
    setSaving(true);
    const { updateExposure, dismissExposureError } = useAppStore.getState();
    const ok = await updateExposure(exposure.id, { label: parsed.label });
    setSaving(false);
    if (ok) {
      cancel();
      return;
    }
    // The refusal belongs next to the name being typed, not under the row.
    const refusal = useAppStore.getState().exposureErrors[exposure.id];
    dismissExposureError(exposure.id);
    setError(refusal ? asSentence(refusal.message) : 'The name could not be changed.');
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === 'Enter') {
      event.preventDefault();
      void save();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      cancel();
    }
  };

  if (draft !== null && parts) {
    return (
      <span className="exposure-url editing" data-testid="exposure-url-editor">
        <span className="url-edit mono">
          <span className="faint">{parts.before}</span>
          <input
            // Focus moves here when the user asks to rename: that is what they will type into.
            autoFocus
            onFocus={(event) => event.target.select()}
            className="input mono url-label-input"
            value={draft}
            size={Math.max(4, Math.min(draft.length + 1, 24))}
            maxLength={63}
            aria-label={`Name of ${exposure.name} (Enter saves, Escape cancels)`}
            aria-invalid={error ? true : undefined}
            aria-describedby={error ? errorId : undefined}
            disabled={saving}
            spellCheck={false}
            autoComplete="off"
            onChange={(event) => { setDraft(event.target.value); setError(null); }}
            onKeyDown={onKeyDown}
            onBlur={() => { if (!saving && !error) cancel(); }}
          />
          <span className="faint">{parts.after}</span>
        </span>
        {error ? <span className="url-error" id={errorId} role="alert" data-testid="label-error">{error}</span> : <span className="url-hint faint">Enter saves · Esc cancels</span>}
      </span>
    );
  }

  return (
    <span className="exposure-url">
      <code className="mono address url" data-testid="public-url" data-url={url} title={url}>
        {parts ? (
          <>
            {parts.before}
            {canEdit ? (
              <button type="button" className="url-label" title="Change the name" aria-label={`Change the name ${parts.label} of ${exposure.name}`} onClick={() => setDraft(parts.label)}>{parts.label}</button>
            ) : parts.label}
            {parts.after}
          </>
        ) : url}
      </code>
      <CopyButton text={url} what={`the URL of ${exposure.name}`} />
    </span>
  );
}
