/**
 * The profile editor: CodeMirror 6 with JSON highlighting and a lint gutter. Errors come from the
 * engine's config layer (`validateProfile`), every one of them placed at its line:column, so what
 * the editor marks is what `porthole test` says (which stops at the first). F8 / Shift+F8 go to
 * the next / previous one (CodeMirror's lint keymap); the page's problem list does the same.
 */
import { json } from '@codemirror/lang-json';
import { lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { Compartment, EditorState, type Text } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { basicSetup } from 'codemirror';
import { useEffect, useRef } from 'react';
import type { ErrorEnvelope } from '../../src-core/host/api/index.js';

/** A request to show problem `index` of `errors`; a new object each time, so the same problem can be shown twice. */
export interface RevealRequest {
  index: number;
  /** Also move the keyboard focus into the editor (a click on the problem), or leave it (Next / Previous). */
  focus: boolean;
}

interface ConfigEditorProps {
  text: string;
  /**
   * Which document this is (a profile opened, a new draft): when it changes the editor shows the
   * new text from its first line, with the cursor there, however far the last one was scrolled.
   */
  documentId: number;
  readOnly: boolean;
  /** The config's errors, in line order (empty when it loads). */
  errors: readonly ErrorEnvelope[];
  onChange(text: string): void;
  /** Moves the cursor to a problem and scrolls it into view. */
  reveal?: RevealRequest | null;
}

/** 1-based line and column → a document offset, clamped into the document. */
export function offsetOf(doc: Text, line: number, column: number): number {
  const lineInfo = doc.line(Math.min(Math.max(1, line), doc.lines));
  return Math.min(lineInfo.to, lineInfo.from + Math.max(0, column - 1));
}

function diagnosticFor(doc: Text, error: ErrorEnvelope): Diagnostic {
  const line = error.where?.line ?? 1;
  const column = error.where?.column ?? 1;
  const from = offsetOf(doc, line, column);
  // Mark the token at the place (to the end of the word, or one character), as compilers do.
  const lineEnd = doc.lineAt(from).to;
  const rest = doc.sliceString(from, lineEnd);
  const word = /^("(?:[^"\\]|\\.)*"|[\w.-]+)/.exec(rest)?.[0].length ?? 1;
  const to = Math.min(lineEnd, from + Math.max(1, word));
  const path = error.where?.path ? `${error.where.path}: ` : '';
  return { from, to: to > from ? to : from, severity: 'error', message: `${path}${error.message}`, source: 'porthole' };
}

/** One diagnostic per error, at its place. */
export function diagnosticsFor(doc: Text, errors: readonly ErrorEnvelope[]): Diagnostic[] {
  return errors.map((error) => diagnosticFor(doc, error));
}

/**
 * Colours come from the page's CSS variables (they inherit into the shadow root), so one theme
 * serves light and dark.
 */
const editorTheme = EditorView.theme({
  '&': { backgroundColor: 'var(--surface)', color: 'var(--text)', height: '100%' },
  '&.cm-focused': { outline: 'none' },
  '.cm-scroller': { fontFamily: 'var(--mono)', fontSize: '12.5px', lineHeight: '1.55' },
  '.cm-content': { caretColor: 'var(--text)' },
  '.cm-gutters': { backgroundColor: 'var(--surface-2)', color: 'var(--text-faint)', borderRight: '1px solid var(--border)' },
  '.cm-activeLine': { backgroundColor: 'color-mix(in srgb, var(--accent-soft) 45%, transparent)' },
  '.cm-activeLineGutter': { backgroundColor: 'var(--accent-soft)', color: 'var(--text)' },
  '.cm-cursor': { borderLeftColor: 'var(--text)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--accent) 28%, transparent) !important' },
  '.cm-tooltip': { backgroundColor: 'var(--surface)', border: '1px solid var(--border-strong)', color: 'var(--text)' },
  '.cm-diagnostic-error': { borderLeftColor: 'var(--danger)' },
  '.cm-lintRange-error': { backgroundImage: 'none', textDecoration: 'underline wavy var(--danger)', textUnderlineOffset: '3px', backgroundColor: 'var(--danger-soft)' },
});

export function ConfigEditor({ text, documentId, readOnly, errors, onChange, reveal = null }: ConfigEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const readOnlyCompartment = useRef(new Compartment());
  const onChangeRef = useRef(onChange);
  onChangeRef.current = onChange;
  const shownDocument = useRef(documentId);

  useEffect(() => {
    const element = host.current;
    if (!element) return undefined;
    // The editor lives in a shadow root: there CodeMirror's styles go into an adopted stylesheet,
    // which the page's strict CSP (style-src 'self', no inline <style>) allows.
    const shadow = element.shadowRoot ?? element.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    parent.style.height = '100%';
    shadow.replaceChildren(parent);
    const editor = new EditorView({
      parent,
      root: shadow,
      state: EditorState.create({
        doc: text,
        extensions: [
          basicSetup,
          json(),
          lintGutter(),
          editorTheme,
          readOnlyCompartment.current.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]),
          EditorView.contentAttributes.of({ 'aria-label': 'Profile JSON', 'data-testid': 'profile-editor' }),
          EditorView.updateListener.of((update) => {
            if (update.docChanged) onChangeRef.current(update.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = editor;
    return () => {
      editor.destroy();
      view.current = null;
    };
    // Created once; later props are applied by the effects below.
  }, []);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    const newDocument = shownDocument.current !== documentId;
    shownDocument.current = documentId;
    const changed = editor.state.doc.toString() !== text;
    if (!changed && !newDocument) return;
    editor.dispatch({
      ...(changed ? { changes: { from: 0, to: editor.state.doc.length, insert: text } } : {}),
      // Another file opens at its top (issue 4/7), not at the last one's scroll position.
      ...(newDocument ? { selection: { anchor: 0 }, effects: EditorView.scrollIntoView(0, { y: 'start' }), scrollIntoView: false } : {}),
    });
    if (newDocument) {
      editor.scrollDOM.scrollTop = 0;
      editor.scrollDOM.scrollLeft = 0;
    }
  }, [text, documentId]);

  useEffect(() => {
    view.current?.dispatch({ effects: readOnlyCompartment.current.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
  }, [readOnly]);

  useEffect(() => {
    const editor = view.current;
    if (!editor) return;
    editor.dispatch(setDiagnostics(editor.state, diagnosticsFor(editor.state.doc, errors)));
  }, [errors, text]);

  useEffect(() => {
    const editor = view.current;
    const error = reveal ? errors[reveal.index] : undefined;
    if (!editor || !reveal || !error) return;
    const diagnostic = diagnosticFor(editor.state.doc, error);
    editor.dispatch({ selection: { anchor: diagnostic.from }, effects: EditorView.scrollIntoView(diagnostic.from, { y: 'center' }) });
    if (reveal.focus) editor.focus();
    // Only an explicit request moves the cursor (the error is read then), never a new validation result.
  }, [reveal]);

  return <div className="editor" ref={host} />;
}
