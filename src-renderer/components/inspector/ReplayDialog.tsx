/**
 * "Edit and replay": the captured request in a form (method, path, headers as `Name: value`
 * lines, body as text) to change and send to the local service. Masked secret values can stay as
 * they are: the service sends what was captured for them. A body that is not text is sent as
 * captured. A modal `<dialog>`: Escape or Cancel closes it.
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { InspectorEntry, InspectorReplayEdits } from '../../../src-core/host/api/index.js';
import { parseHeaderLines } from '../../state/inspector.js';
import { base64ToBytes, strictText } from './body-format.js';

export function ReplayDialog({ entry, busy, onSend, onDismiss }: { entry: InspectorEntry; busy: boolean; onSend(edits: InspectorReplayEdits): void; onDismiss(): void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const request = entry.request;
  const originalBody = useMemo(() => {
    if (!request || request.body.codings.length > 0 || request.body.truncated) return undefined;
    return strictText(base64ToBytes(request.body.base64));
  }, [request]);
  const [method, setMethod] = useState(request?.method ?? 'GET');
  const [target, setTarget] = useState(request?.target ?? '/');
  const [headers, setHeaders] = useState(() => (request?.headers ?? []).filter(([name]) => !/^(content-length|transfer-encoding)$/i.test(name)).map(([name, value]) => `${name}: ${value}`).join('\n'));
  const [body, setBody] = useState(originalBody ?? '');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);
  const send = () => {
    const parsed = parseHeaderLines(headers);
    if ('problem' in parsed) {
      setProblem(`Headers, ${parsed.problem}.`);
      return;
    }
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(method.trim())) {
      setProblem('The method is one word, such as GET or POST.');
      return;
    }
    if (!/^[\x21-\x7e]+$/.test(target.trim())) {
      setProblem('The path is visible ASCII without spaces, such as /api/items?id=2.');
      return;
    }
    setProblem(null);
    const edits: InspectorReplayEdits = { method: method.trim().toUpperCase(), target: target.trim(), headers: parsed.headers };
    // An unchanged body is left out, so its bytes go as captured (binary ones too).
    if (originalBody !== undefined ? body !== originalBody : body !== '') edits.body = body;
    onSend(edits);
  };
  const hasMasked = request?.headers.some(([, value]) => value.includes('••••••')) ?? false;
  return (
    <dialog ref={dialog} className="confirm-dialog replay-dialog" aria-labelledby={titleId} data-testid="replay-dialog" onClose={onDismiss}>
      <h2 id={titleId}>Edit and replay</h2>
      <form method="dialog" className="replay-form" onSubmit={(event) => { event.preventDefault(); send(); }}>
        <div className="replay-line">
          <label className="field-label">Method<input className="input mono" value={method} onChange={(event) => setMethod(event.target.value)} data-testid="replay-method" spellCheck={false} /></label>
          <label className="field-label grow">Path<input className="input mono" value={target} onChange={(event) => setTarget(event.target.value)} data-testid="replay-path" spellCheck={false} /></label>
        </div>
        <label className="field-label">Headers <span className="faint">(one “Name: value” a line; Content-Length is set for you)</span>
          <textarea className="input mono" rows={6} value={headers} onChange={(event) => setHeaders(event.target.value)} data-testid="replay-headers" spellCheck={false} />
        </label>
        {hasMasked ? <p className="faint replay-hint">Values shown as •••••• are sent as captured.</p> : null}
        <label className="field-label">Body
          {originalBody === undefined && (request?.body.size ?? 0) > 0
            ? <span className="faint"> (not text{request?.body.truncated ? ', and cut at the cap' : ''}: {request?.body.truncated ? 'type a new one to send' : 'leave empty to send it as captured'})</span> : null}
          <textarea className="input mono" rows={6} value={body} onChange={(event) => setBody(event.target.value)} data-testid="replay-body" spellCheck={false} />
        </label>
        {problem ? <p className="notice error" role="alert">{problem}</p> : null}
        <div className="confirm-actions">
          <button type="button" className="button" onClick={() => dialog.current?.close()}>Cancel</button>
          <button type="submit" className="button primary" disabled={busy} data-testid="replay-send">{busy ? 'Sending…' : 'Send'}</button>
        </div>
      </form>
    </dialog>
  );
}
